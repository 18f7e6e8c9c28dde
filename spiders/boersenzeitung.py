"""Börsen-Zeitung (boersen-zeitung.de): German financial daily; the byline only in its own markup."""

import re

from broadsheet.extract.sources import XPath
from broadsheet.news import NewsSpider


class BoersenZeitungSpider(NewsSpider):
    """boersen-zeitung.de articles (``-a urls=``), or the front page's links."""

    name = "boersenzeitung"
    allowed_domains = ["www.boersen-zeitung.de"]
    listing_urls = ["https://www.boersen-zeitung.de/"]
    article_url = re.compile(r"^https://www\.boersen-zeitung\.de/(?P<id>[a-z-]+/[\w-]+)$")
    sources = {
        "authors": [..., XPath('//storefront-html[@id="authors"]//span', each=False)],
    }
