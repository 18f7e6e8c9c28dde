"""Business Insider (businessinsider.com): business and tech news."""

import re

from broadsheet.extract.body import Container
from broadsheet.extract.fields import detected_language
from broadsheet.extract.sources import Func
from broadsheet.news import NewsSpider


class BusinessInsiderSpider(NewsSpider):
    """businessinsider.com articles (``-a urls=``), or the RSS feed."""

    name = "businessinsider"
    allowed_domains = ["www.businessinsider.com"]
    feeds = ["https://www.businessinsider.com/rss"]
    article_url = re.compile(r"^https?://www\.businessinsider\.com/(?P<id>[\w-]+)")
    sources = {
        "language": [Func(detected_language, name="detected")],  # pages saved abroad say lang="de"
        "body": [Container('(//div[@itemprop="articleBody"])[1]', exclude='.//figure | .//*[contains(@class, "ad")]'),
                 ...],
    }
