"""Reuters (reuters.com): wire news, the 2019 layout; its JSON-LD does not parse, metas carry the rest."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class ReutersSpider(FieldXPaths, NewsSpider):
    """reuters.com articles (``-a urls=``), or the news sitemap."""

    name = site = "reuters"
    allowed_domains = ["www.reuters.com"]
    sitemaps = ["https://www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"]
    article_url = re.compile(r"^https?://www\.reuters\.com/article/.*id(?P<id>[A-Z0-9]+)")
    field_xpaths = {"headline": "//h1", "authors": '//meta[@name="Author"]/@content',
                    "date_published": '//meta[@property="og:article:published_time"]/@content'}
    body_xpath = '//div[@class="StandardArticleBody_body"]/p'
