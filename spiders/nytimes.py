"""The New York Times (nytimes.com): the 2017 story layout, then the 2018 React one."""

import datetime as dt
import re

from broadsheet.extract.body import Container
from broadsheet.extract.sources import XPath
from broadsheet.layouts import Layout
from broadsheet.news import NewsSpider


class NytimesSpider(NewsSpider):
    """nytimes.com articles (``-a urls=``), or the home page's RSS feed."""

    name = "nytimes"
    allowed_domains = ["www.nytimes.com"]
    feeds = ["https://rss.nytimes.com/services/xml/rss/nyt/HomePage.xml"]
    article_url = re.compile(r"^https?://www\.nytimes\.com/(?P<id>\d{4}/\d\d/\d\d/[\w/-]+)\.html")

    class Story(Layout):
        """2017: ``story-body-text`` paragraphs; the time in the ``dateline``."""

        valid_until = dt.date(2018, 1, 1)
        sources = {
            "date_published": [XPath('//time[@class="dateline"]/@datetime'), ...],
            "body": [Container('//p[contains(@class, "story-body-text")]'), ...],
        }

    class React(Layout):
        """Since 2018: ``StoryBodyCompanionColumn`` blocks."""

        sources = {
            "body": [Container('//section[@name="articleBody"]//div[contains(@class, "StoryBodyCompanionColumn")]'),
                     ...]
        }

    layouts = [Story, React]
