"""Business Insider (businessinsider.com): business and tech news."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class BusinessInsiderSpider(FieldXPaths, NewsSpider):
    """businessinsider.com articles (``-a urls=``), or the RSS feed."""

    name = site = "businessinsider"
    allowed_domains = ["www.businessinsider.com"]
    feeds = ["https://www.businessinsider.com/rss"]
    article_url = re.compile(r"^https?://www\.businessinsider\.com/(?P<id>[\w-]+)")
    field_xpaths = {"headline": "(//h1)[1]", "authors": '//meta[@name="sailthru.author"]/@content',
                    "publication_date": '//meta[@name="date"]/@content'}
    body_xpath = '(//div[@itemprop="articleBody"])[1]'
    body_exclude_xpath = './/figure | .//*[contains(@class, "ad")]'
