"""Fox News (foxnews.com): US news; the byline carries the outlet ("By X | Fox News")."""

import re

from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class FoxnewsSpider(FieldXPaths, NewsSpider):
    """foxnews.com articles (``-a urls=``), or the latest-news RSS feed."""

    name = site = "foxnews"
    allowed_domains = ["www.foxnews.com"]
    feeds = ["https://moxie.foxnews.com/google-publisher/latest.xml"]
    article_url = re.compile(r"^https?://www\.foxnews\.com/(?P<id>[a-z-]+/[\w-]+)")
    field_xpaths = {"headline": "//h1", "authors": '//div[@class="author-byline"]//a'}
    body_xpath = '//div[@class="article-body"]/p'
