"""TechCrunch (techcrunch.com): technology news on WordPress."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class TechcrunchSpider(FieldXPaths, NewsSpider):
    """techcrunch.com posts (``-a urls=``), or the RSS feed."""

    name = site = "techcrunch"
    allowed_domains = ["techcrunch.com"]
    feeds = ["https://techcrunch.com/feed/"]
    article_url = re.compile(r"^https?://techcrunch\.com/(?P<id>\d{4}/\d\d/\d\d/[\w-]+)/")
    field_xpaths = {"headline": "//h1"}
    body_xpath = '//div[contains(@class, "article-content")] | //div[contains(@class, "entry-content")]'
