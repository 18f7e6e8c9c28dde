"""The Standard (standard.co.uk): London news, styled-components markup (hashed classes)."""

import re

from broadsheet.extract.body import Container
from broadsheet.extract.sources import XPath
from broadsheet.news import NewsSpider


class StandardSpider(NewsSpider):
    """standard.co.uk articles (``-a urls=``), or the news sitemap."""

    name = "standard"
    allowed_domains = ["www.standard.co.uk"]
    news_sitemaps = ["https://www.standard.co.uk/sitemaps/googlenews"]
    article_url = re.compile(r"^https://www\.standard\.co\.uk/.+-(?P<id>b\d+)\.html")
    sources = {
        "headline": [XPath('//meta[@property="og:title"]/@content'), ...],
        "body": [Container("//article//p[not(ancestor::figure or ancestor::aside)]"), ...],
    }
