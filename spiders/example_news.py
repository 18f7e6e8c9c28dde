"""example_news (news.example.org): say here what the site is and what its pages need beyond the base."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class ExampleNewsSpider(FieldXPaths, NewsSpider):
    """news.example.org articles (``-a urls=``), or its feed/sitemap."""

    name = site = "example_news"  # also the records' ``site``: lower case, digits and _ only
    allowed_domains = ["news.example.org"]
    feeds: list[str] = []  # RSS/Atom feeds listing new articles
    sitemaps: list[str] = []  # (news) sitemaps
    article_url = re.compile(r"^https?://(?:www\.)?news.example.org/(?P<id>[^?#]+)")
    field_xpaths = {"headline": "(//h1)[1]"}
    body_xpath = "//article"
