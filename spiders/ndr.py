"""NDR (ndr.de): the public broadcaster of northern Germany, regional news."""

import datetime as dt
import re

from broadsheet.extract.body import Container
from broadsheet.layouts import Layout
from broadsheet.news import NewsSpider


class NdrSpider(NewsSpider):
    """ndr.de news pages (``-a urls=``), or the news RSS feed."""

    name = "ndr"
    allowed_domains = ["www.ndr.de"]
    feeds = ["https://www.ndr.de/nachrichten/index-rss.xml"]
    listing_urls = ["https://www.ndr.de/nachrichten/"]
    article_url = re.compile(r"^https://www\.ndr\.de/nachrichten/.+,(?P<id>[a-z0-9-]+)\.html")
    site_tz = dt.timezone(dt.timedelta(hours=1))

    class CopyText(Layout):
        """2023: the text in a ``copytext`` module."""

        valid_until = dt.date(2025, 1, 1)
        sources = {
            "body": [Container('//article//p[@class="preface"] | //article/div[contains(@class, "copytext")]/p'), ...]
        }

    class Flat(Layout):
        """Since 2025: paragraphs straight under ``<article>``."""

        sources = {"body": [Container('//article//p[@class="preface"] | //article/p[not(normalize-space(@class))]')]}

    layouts = [CopyText, Flat]
