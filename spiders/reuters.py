"""Reuters (reuters.com): wire news; the 2019 layout, then the 2020 redesign (hashed class suffixes)."""

import datetime as dt
import re

from broadsheet.layouts import Layout, LayoutVersions
from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class ReutersSpider(LayoutVersions, FieldXPaths, NewsSpider):
    """reuters.com articles (``-a urls=``), or the news sitemap."""

    name = site = "reuters"
    allowed_domains = ["www.reuters.com"]
    sitemaps = ["https://www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"]
    article_url = re.compile(r"^https?://www\.reuters\.com/article/.*id(?P<id>[A-Z0-9]+)")
    field_xpaths = {"headline": "//h1"}

    class StandardArticle(Layout):
        """2019: ``StandardArticleBody_body``."""

        valid_until = dt.date(2020, 1, 1)
        field_xpaths = {"headline": "//h1", "authors": '//meta[@name="Author"]/@content',
                        "date_published": '//meta[@property="og:article:published_time"]/@content'}
        body_xpath = '//div[@class="StandardArticleBody_body"]/p'

    class ArticleBodyWrapper(Layout):
        """Since 2020: ``ArticleBodyWrapper``, byline links in ``Byline-author-*``."""

        field_xpaths = {"headline": "//h1", "authors": '//a[contains(@class, "Byline-author-")]'}
        body_xpath = '//div[@class="ArticleBodyWrapper"]/p'

    layouts = [StandardArticle, ArticleBodyWrapper]
