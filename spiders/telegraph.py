"""The Telegraph (telegraph.co.uk): UK news; the byline and date only in the markup on some pages."""

import re

from broadsheet.extract.body import Container
from broadsheet.extract.sources import XPath
from broadsheet.news import NewsSpider


class TelegraphSpider(NewsSpider):
    """telegraph.co.uk articles (``-a urls=``), or the news sitemap."""

    name = "telegraph"
    allowed_domains = ["www.telegraph.co.uk"]
    news_sitemaps = ["https://www.telegraph.co.uk/sitemap-news.xml"]
    article_url = re.compile(r"^https://www\.telegraph\.co\.uk/(?P<id>[a-z-]+/(?:\d{4}/\d\d/\d\d/)?[\w-]+)/")
    sources = {
        "headline": [XPath("//h1"), ...],
        "body": [
            Container('//article//p[@itemprop="description"] | //article//div[@itemprop="articleBody"]',
                      exclude=".//figure | .//aside"),
            ...,
        ],
    }
