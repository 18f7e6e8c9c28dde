"""The New York Post (nypost.com): a WordPress site; the byline only in the markup."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class NypostSpider(FieldXPaths, NewsSpider):
    """nypost.com stories (``-a urls=``), or the RSS feed."""

    name = site = "nypost"
    allowed_domains = ["nypost.com"]
    feeds = ["https://nypost.com/feed/"]
    article_url = re.compile(r"^https?://nypost\.com/(?P<id>\d{4}/\d\d/\d\d/[\w-]+)/")
    field_xpaths = {"headline": "//h1", "authors": '//p[@class="byline"]/a'}
    body_xpath = '//div[contains(@class, "entry-content")]/p'
