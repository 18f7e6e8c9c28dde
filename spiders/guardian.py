"""The Guardian (theguardian.com): UK and world news; the 2019 frontend, then dotcom-rendering."""

import datetime as dt
import re

from broadsheet.extract.body import Container
from broadsheet.layouts import Layout
from broadsheet.news import NewsSpider


class GuardianSpider(NewsSpider):
    """theguardian.com articles (``-a urls=``), or the international front's RSS feed."""

    name = "guardian"
    allowed_domains = ["www.theguardian.com"]
    feeds = ["https://www.theguardian.com/international/rss"]
    article_url = re.compile(r"^https?://www\.theguardian\.com/(?P<id>[a-z-]+(?:/[a-z-]+)?/\d{4}/[a-z]{3}/\d\d/[\w-]+)")

    class Frontend(Layout):
        """2019: ``content__article-body``."""

        valid_until = dt.date(2020, 1, 1)
        sources = {"body": [Container('//div[@itemprop="articleBody"]', exclude=".//figure | .//aside"), ...]}

    class DotcomRendering(Layout):
        """Since 2020: ``dcr-`` classes."""

        sources = {"body": [Container('//div[contains(@class, "article-body-commercial-selector")]/p'), ...]}

    layouts = [Frontend, DotcomRendering]
