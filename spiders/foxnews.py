"""Fox News (foxnews.com): US news; the byline names the outlet beside the person ("By X | Fox News")."""

import re

from broadsheet.extract.body import Container
from broadsheet.news import NewsSpider


class FoxnewsSpider(NewsSpider):
    """foxnews.com articles (``-a urls=``), or the latest-news RSS feed."""

    name = "foxnews"
    allowed_domains = ["www.foxnews.com"]
    feeds = ["https://moxie.foxnews.com/google-publisher/latest.xml"]
    article_url = re.compile(r"^https?://www\.foxnews\.com/(?P<id>[a-z-]+/[\w-]+)")
    sources = {
        "body": [Container('//div[@class="article-body"]/p'), ...],
    }
