"""TechCrunch (techcrunch.com): technology news on WordPress."""

import re

from broadsheet.extract.body import Container
from broadsheet.news import NewsSpider


class TechcrunchSpider(NewsSpider):
    """techcrunch.com posts (``-a urls=``), or the RSS feed."""

    name = "techcrunch"
    allowed_domains = ["techcrunch.com"]
    feeds = ["https://techcrunch.com/feed/"]
    article_url = re.compile(r"^https?://techcrunch\.com/(?P<id>\d{4}/\d\d/\d\d/[\w-]+)/")
    sources = {
        "body": [Container('//div[contains(@class, "article-content")] | //div[contains(@class, "entry-content")]'),
                 ...],
    }
