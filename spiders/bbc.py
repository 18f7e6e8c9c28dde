"""BBC News (bbc.com): world news; an organisation byline in structured data ("BBC News")."""

import re

from broadsheet.extract.body import Container
from broadsheet.extract.sources import XPath
from broadsheet.news import NewsSpider


class BbcSpider(NewsSpider):
    """bbc.com news stories (``-a urls=``), or the news RSS feed."""

    name = "bbc"
    allowed_domains = ["www.bbc.com"]
    feeds = ["https://feeds.bbci.co.uk/news/rss.xml"]
    article_url = re.compile(r"^https?://www\.bbc\.com/news/(?P<id>[\w-]+-\d+)")
    sources = {
        "headline": [XPath("(//h1)[1]"), ...],
        "body": [
            Container('//div[@class="story-body__inner"]',
                      exclude='.//figure | .//*[contains(@class, "story-more")] | .//script'),
            ...,
        ],
    }
