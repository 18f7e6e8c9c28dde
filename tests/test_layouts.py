"""Dated layouts chosen by the page's reference time (the cases replay them in real crawls)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from broadsheet.layouts import Layout, LayoutVersions
from broadsheet.news import NewsSpider


class Old(Layout):
    valid_until = dt.date(2020, 1, 1)
    sources = {"headline": ["old"]}


class New(Layout):
    sources = {"headline": ["new"]}


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
        assert spider.sources == {"headline": ["old"]}
    assert spider.sources == NewsSpider.sources


def test_layouts_out_of_order_are_refused():
    with pytest.raises(TypeError, match="oldest first"):
        type("Bad", (LayoutVersions, NewsSpider), {"name": "bad", "layouts": [New, Old]})
