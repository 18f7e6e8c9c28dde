"""Bloomberg (bloomberg.com): business and markets news; the base reads its pages of 2014 and 2016 as they are."""

import re

from broadsheet.news import NewsSpider


class BloombergSpider(NewsSpider):
    """bloomberg.com articles (``-a urls=``), or the news sitemap."""

    name = "bloomberg"
    allowed_domains = ["www.bloomberg.com"]
    news_sitemaps = ["https://www.bloomberg.com/sitemaps/news/latest.xml"]
    article_url = re.compile(r"^https?://www\.bloomberg\.com/(?P<id>(?:news|politics|graphics)/[\w/-]+)")
