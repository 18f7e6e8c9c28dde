"""Reuters (reuters.com): wire news; the 2019 layout's body in ``StandardArticleBody_body`` (its JSON-LD does
not parse). The base reads the 2014 regional editions (``articleText``, the day only in the URL) as they are."""

import re

from broadsheet.extract.body import Container
from broadsheet.news import NewsSpider


class ReutersSpider(NewsSpider):
    """reuters.com articles (``-a urls=``), or the news sitemap."""

    name = "reuters"
    allowed_domains = ["www.reuters.com", "uk.reuters.com", "in.reuters.com"]
    news_sitemaps = ["https://www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"]
    article_url = re.compile(r"^https?://(?:www|uk|in)\.reuters\.com/article/.*id(?P<id>[A-Z0-9]+)")
    sources = {"body": [Container('//div[@class="StandardArticleBody_body"]/p'), ...]}
