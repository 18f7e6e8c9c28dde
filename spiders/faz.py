"""Frankfurter Allgemeine (faz.net): German general and business news, three layouts since 2023."""

import datetime as dt
import re

from broadsheet.extract.body import Container
from broadsheet.extract.sources import XPath
from broadsheet.layouts import Layout
from broadsheet.news import NewsSpider


class FazSpider(NewsSpider):
    """faz.net articles (``-a urls=``), or the news sitemap and RSS feed."""

    name = "faz"
    allowed_domains = ["www.faz.net"]
    news_sitemaps = ["https://www.faz.net/sitemaps/news.xml"]
    feeds = ["https://www.faz.net/rss/aktuell/"]
    article_url = re.compile(r"^https://www\.faz\.net/.+-(?P<id>\d{8,9})\.html")
    site_tz = dt.timezone(dt.timedelta(hours=1))

    class Atc(Layout):
        """2023: ``atc-`` classes; the JSON-LD headline is the SEO one."""

        valid_until = dt.date(2024, 1, 1)
        sources = {
            "headline": [XPath("//h1"), ...],
            "body": [Container('//div[@class="atc-Intro "] | //div[contains(@class, "atc-Text ")]'), ...],
        }

    class BodyElements(Layout):
        """2024: ``body-elements`` blocks under a ``header-teaser``."""

        valid_until = dt.date(2025, 1, 1)
        sources = {
            "body": [Container('//div[contains(@class, "header-teaser")] | //div[contains(@class, "body-elements ")]'),
                     ...]
        }

    class Walled(Layout):
        """Since 2025: Tailwind classes; the text under ``walled-content``."""

        sources = {
            "body": [Container('//article//header//p[contains(@class, "intro")] | //div[@class="walled-content"]'), ...]
        }

    layouts = [Atc, BodyElements, Walled]
