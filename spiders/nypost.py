"""The New York Post (nypost.com): a WordPress site; the byline only in the markup."""

import re

from broadsheet.extract.body import Container
from broadsheet.news import NewsSpider


class NypostSpider(NewsSpider):
    """nypost.com stories (``-a urls=``), or the RSS feed."""

    name = "nypost"
    allowed_domains = ["nypost.com"]
    feeds = ["https://nypost.com/feed/"]
    article_url = re.compile(r"^https?://nypost\.com/(?P<id>\d{4}/\d\d/\d\d/[\w-]+)/")
    sources = {
        "body": [Container('//div[contains(@class, "entry-content")]/p'), ...],
    }
