"""The Times of India (timesofindia.indiatimes.com): Indian news; hashed class names per redesign."""

import datetime as dt
import re

from broadsheet.extract.body import Container
from broadsheet.layouts import Layout
from broadsheet.news import NewsSpider


class TimesOfIndiaSpider(NewsSpider):
    """Times of India articles (``-a urls=``), or the news sitemap."""

    name = "timesofindia"
    allowed_domains = ["timesofindia.indiatimes.com"]
    news_sitemaps = ["https://timesofindia.indiatimes.com/sitemap/today"]
    article_url = re.compile(r"^https://timesofindia\.indiatimes\.com/.+/articleshow/(?P<id>\d+)\.cms")
    site_tz = dt.timezone(dt.timedelta(hours=5, minutes=30))

    class Synopsis(Layout):
        """2024: a synopsis box, then the text in ``_s30J``."""

        valid_until = dt.date(2025, 1, 1)
        sources = {"body": [Container('//div[@class="art_synopsis"] | //div[contains(@class, "_s30J ")]'), ...]}

    class Ihgno(Layout):
        """Since 2025: the text in ``ihgno``."""

        sources = {
            "body": [Container('//div[contains(@class, "js_tbl_article")]/div[contains(@class, "ihgno ")]'), ...]
        }

    layouts = [Synopsis, Ihgno]
