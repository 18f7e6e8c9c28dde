"""BBC News (bbc.com): world news; an organisation byline in structured data ("BBC News")."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class BbcSpider(FieldXPaths, NewsSpider):
    """bbc.com news stories (``-a urls=``), or the news RSS feed."""

    name = site = "bbc"
    allowed_domains = ["www.bbc.com"]
    feeds = ["https://feeds.bbci.co.uk/news/rss.xml"]
    article_url = re.compile(r"^https?://www\.bbc\.com/news/(?P<id>[\w-]+-\d+)")
    field_xpaths = {"headline": "(//h1)[1]", "authors": '//meta[@property="og:article:author"]/@content'}
    body_xpath = '//div[@class="story-body__inner"]'
    body_exclude_xpath = './/figure | .//*[contains(@class, "story-more")] | .//script'
