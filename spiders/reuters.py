"""Reuters (reuters.com): wire news; the 2014 regional editions, then the 2019 layout (unparseable JSON-LD)."""

import datetime as dt
import re

from broadsheet.extract.body import Container
from broadsheet.layouts import Layout
from broadsheet.news import NewsSpider


class ReutersSpider(NewsSpider):
    """reuters.com articles (``-a urls=``), or the news sitemap."""

    name = "reuters"
    allowed_domains = ["www.reuters.com", "uk.reuters.com", "in.reuters.com"]
    news_sitemaps = ["https://www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"]
    article_url = re.compile(r"^https?://(?:www|uk|in)\.reuters\.com/article/.*id(?P<id>[A-Z0-9]+)")

    class ArticleText(Layout):
        """2014: the regional editions' ``articleText``; the day only in the URL."""

        valid_until = dt.date(2017, 1, 1)
        sources = {"body": [Container('//span[@id="articleText"]'), ...]}

    class StandardArticle(Layout):
        """2019: ``StandardArticleBody_body``."""

        sources = {"body": [Container('//div[@class="StandardArticleBody_body"]/p'), ...]}

    layouts = [ArticleText, StandardArticle]
