"""The Standard (standard.co.uk): London news, styled-components markup (hashed classes)."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class StandardSpider(FieldXPaths, NewsSpider):
    """standard.co.uk articles (``-a urls=``), or the news sitemap."""

    name = site = "standard"
    allowed_domains = ["www.standard.co.uk"]
    news_sitemaps = ["https://www.standard.co.uk/sitemaps/googlenews"]
    article_url = re.compile(r"^https://www\.standard\.co\.uk/.+-(?P<id>b\d+)\.html")
    field_xpaths = {"headline": '//meta[@property="og:title"]/@content'}
    body_xpath = "//article//p[not(ancestor::figure or ancestor::aside)]"
