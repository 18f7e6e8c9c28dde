"""The Guardian (theguardian.com): UK and world news; the 2019 frontend, then dotcom-rendering."""

import datetime as dt
import re

from broadsheet.layouts import Layout, LayoutVersions
from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class GuardianSpider(LayoutVersions, FieldXPaths, NewsSpider):
    """theguardian.com articles (``-a urls=``), or the international front's RSS feed."""

    name = site = "guardian"
    allowed_domains = ["www.theguardian.com"]
    feeds = ["https://www.theguardian.com/international/rss"]
    article_url = re.compile(r"^https?://www\.theguardian\.com/(?P<id>[a-z-]+(?:/[a-z-]+)?/\d{4}/[a-z]{3}/\d\d/[\w-]+)")
    url_date = re.compile(r"/(?P<y>\d{4})/(?P<m>[a-z]{3})/(?P<d>\d\d)/")
    field_xpaths = {"headline": "(//h1)[1]"}

    class Frontend(Layout):
        """2019: ``content__article-body``."""

        valid_until = dt.date(2020, 1, 1)
        body_xpath = '//div[@itemprop="articleBody"]'
        body_exclude_xpath = ".//figure | .//aside"

    class DotcomRendering(Layout):
        """Since 2020: ``dcr-`` classes; bylines as ``rel=author`` links."""

        field_xpaths = {"headline": "(//h1)[1]", "authors": '//address//a[@rel="author"]'}
        body_xpath = '//div[contains(@class, "article-body-commercial-selector")]/p'

    layouts = [Frontend, DotcomRendering]
