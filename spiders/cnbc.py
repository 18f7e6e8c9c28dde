"""CNBC (cnbc.com): US business and markets news; since 2018 a "Key Points" box above the story."""

import re

from broadsheet.extract.body import Container
from broadsheet.news import NewsSpider


class CnbcSpider(NewsSpider):
    """cnbc.com articles (``-a urls=``), or the top news RSS feed."""

    name = "cnbc"
    allowed_domains = ["www.cnbc.com"]
    feeds = ["https://www.cnbc.com/id/100003114/device/rss/rss.html"]
    article_url = re.compile(r"^https?://www\.cnbc\.com/(?P<id>\d{4}/\d\d/\d\d/[\w-]+)\.html")
    sources = {
        "body": [Container('//div[@data-module="ArticleBody"]/div[@class="group"] '
                           '| //div[@data-module="ArticleBody"]/h2'), ...],
    }
