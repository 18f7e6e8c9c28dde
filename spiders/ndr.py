"""NDR (ndr.de): the public broadcaster of northern Germany, regional news."""

import datetime as dt
import re

from broadsheet.extract.body import Container
from broadsheet.extract.sources import XPath
from broadsheet.layouts import Layout, LayoutVersions
from broadsheet.news import NewsSpider


class NdrSpider(LayoutVersions, NewsSpider):
    """ndr.de news pages (``-a urls=``), or the news RSS feed."""

    name = site = "ndr"
    allowed_domains = ["www.ndr.de"]
    feeds = ["https://www.ndr.de/nachrichten/index-rss.xml"]
    listing_urls = ["https://www.ndr.de/nachrichten/"]
    article_url = re.compile(r"^https://www\.ndr\.de/nachrichten/.+,(?P<id>[a-z0-9-]+)\.html")
    site_tz = dt.timezone(dt.timedelta(hours=1))
    sources = {"headline": [XPath("//article//h1"), ...]}

    def __init__(self, *args, urls: str | None = None, **kwargs):
        """``-a urls=`` split only before ``http``: every ndr.de article path holds a comma."""
        super().__init__(*args, **kwargs)
        self.article_urls = [u for u in re.split(r",(?=https?://)", urls or "") if u.strip()]

    class CopyText(Layout):
        """2023: the text in a ``copytext`` module."""

        valid_until = dt.date(2025, 1, 1)
        sources = {
            "headline": [XPath("//article//h1"), ...],
            "body": [Container('//article//p[@class="preface"] | //article/div[contains(@class, "copytext")]/p')],
        }

    class Flat(Layout):
        """Since 2025: paragraphs straight under ``<article>``."""

        sources = {
            "headline": [XPath("//article//h1"), ...],
            "body": [Container('//article//p[@class="preface"] | //article/p[not(normalize-space(@class))]')],
        }

    layouts = [CopyText, Flat]
