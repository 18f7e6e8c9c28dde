"""Reuters (reuters.com): wire news; the 2014 regional editions, then the 2019 layout (unparseable JSON-LD)."""

import datetime as dt
import re

from broadsheet.layouts import Layout, LayoutVersions
from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class ReutersSpider(LayoutVersions, FieldXPaths, NewsSpider):
    """reuters.com articles (``-a urls=``), or the news sitemap."""

    name = site = "reuters"
    allowed_domains = ["www.reuters.com", "uk.reuters.com", "in.reuters.com"]
    news_sitemaps = ["https://www.reuters.com/arc/outboundfeeds/news-sitemap-index/?outputType=xml"]
    article_url = re.compile(r"^https?://(?:www|uk|in)\.reuters\.com/article/.*id(?P<id>[A-Z0-9]+)")
    url_date = re.compile(r"/article/(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/")
    field_xpaths = {"headline": "//h1", "authors": '//meta[@name="Author"]/@content',
                    "date_published": '//meta[@property="og:article:published_time"]/@content'}

    class ArticleText(Layout):
        """2014: the regional editions' ``articleText``; the day only in the URL."""

        valid_until = dt.date(2017, 1, 1)
        body_xpath = '//span[@id="articleText"]'

    class StandardArticle(Layout):
        """2019: ``StandardArticleBody_body``."""

        body_xpath = '//div[@class="StandardArticleBody_body"]/p'

    layouts = [ArticleText, StandardArticle]
