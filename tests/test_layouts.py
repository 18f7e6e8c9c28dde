"""Dated layouts chosen by the page's reference time, and the interim per-field XPaths, in real crawls."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from broadsheet.layouts import Layout, LayoutVersions
from broadsheet.layouts.fields import day_from_url
from broadsheet.news import NewsSpider


class Old(Layout):
    valid_until = dt.date(2020, 1, 1)
    body_xpath = "//div[@class='old']"


class New(Layout):
    body_xpath = "//div[@class='new']"


class Site(LayoutVersions, NewsSpider):
    name = site = "site"
    article_url = re.compile(r"(?P<id>.+)")
    layouts = [Old, New]


@pytest.mark.parametrize(("served", "layout"), [
    (dt.datetime(2019, 12, 31, 23, tzinfo=dt.UTC), Old),
    (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), New),
    (dt.datetime(2026, 5, 1, tzinfo=dt.UTC), New),
])
def test_the_layout_is_the_first_still_valid_at_the_reference_time(served, layout):
    assert Site.layout_for(served) is layout


def test_a_layout_sets_its_attributes_for_one_page_only():
    spider = Site()
    with spider.using(Old):
        assert spider.body_xpath == "//div[@class='old']"
    assert spider.body_xpath == NewsSpider.body_xpath


def test_layouts_out_of_order_are_refused():
    with pytest.raises(TypeError, match="oldest first"):
        type("Bad", (LayoutVersions, NewsSpider), {"name": "bad", "layouts": [New, Old]})


@pytest.mark.parametrize(("url", "day"), [
    ("https://www.theguardian.com/us-news/2016/nov/29/standing-rock", dt.date(2016, 11, 29)),
    ("https://www.nytimes.com/2017/01/13/world/africa/sudan-sanctions.html", dt.date(2017, 1, 13)),
    ("https://www.bloomberg.com/news/articles/2016-12-06/stock-rally", dt.date(2016, 12, 6)),
    ("https://example.org/2016/13/45/no-such-day", None),
])
def test_url_days_in_any_shape(url, day):
    pattern = re.compile(r"/(?P<y>\d{4})[/-](?P<m>\d\d|[a-z]{3})[/-](?P<d>\d\d)[/-]")
    assert day_from_url(url, pattern) == day
