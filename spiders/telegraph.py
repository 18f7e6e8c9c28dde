"""The Telegraph (telegraph.co.uk): UK news; the byline and date only in the markup on some pages."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class TelegraphSpider(FieldXPaths, NewsSpider):
    """telegraph.co.uk articles (``-a urls=``), or the news sitemap."""

    name = site = "telegraph"
    allowed_domains = ["www.telegraph.co.uk"]
    news_sitemaps = ["https://www.telegraph.co.uk/sitemap-news.xml"]
    article_url = re.compile(r"^https://www\.telegraph\.co\.uk/(?P<id>[a-z-]+/(?:\d{4}/\d\d/\d\d/)?[\w-]+)/")
    field_xpaths = {"headline": "//h1", "authors": '(//article//span[@itemprop="name"])[1]',
                    "date_published": '//article//time[contains(@class, "e-published-date")]/@datetime'}
    body_xpath = '//article//p[@itemprop="description"] | //article//div[@itemprop="articleBody"]'
    body_exclude_xpath = ".//figure | .//aside"
