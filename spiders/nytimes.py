"""The New York Times (nytimes.com): the 2017 story layout, then the 2018 React one."""

import datetime as dt
import re

from broadsheet.layouts import Layout, LayoutVersions
from broadsheet.layouts.fields import FieldXPaths
from broadsheet.news import NewsSpider


class NytimesSpider(LayoutVersions, FieldXPaths, NewsSpider):
    """nytimes.com articles (``-a urls=``), or the home page's RSS feed."""

    name = site = "nytimes"
    allowed_domains = ["www.nytimes.com"]
    feeds = ["https://rss.nytimes.com/services/xml/rss/nyt/HomePage.xml"]
    article_url = re.compile(r"^https?://www\.nytimes\.com/(?P<id>\d{4}/\d\d/\d\d/[\w/-]+)\.html")
    url_date = re.compile(r"/(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/")

    class Story(Layout):
        """2017: ``story-body-text`` paragraphs; the byline in ``byline-author``."""

        valid_until = dt.date(2018, 1, 1)
        field_xpaths = {"authors": '//span[@class="byline-author"]',
                        "date_published": '//time[@class="dateline"]/@datetime'}
        body_xpath = '//p[contains(@class, "story-body-text")]'

    class React(Layout):
        """Since 2018: ``StoryBodyCompanionColumn`` blocks; the byline as "By X"."""

        field_xpaths = {"authors": '//article//header//a[contains(@href, "/by/")][normalize-space()]'}
        body_xpath = '//section[@name="articleBody"]//div[contains(@class, "StoryBodyCompanionColumn")]'

    layouts = [Story, React]
