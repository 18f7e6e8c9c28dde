"""Dated layouts chosen by the page's reference time (the cases replay them in real crawls)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from broadsheet.layouts import Layout
from broadsheet.news import NewsSpider


class Old(Layout):
    valid_until = dt.date(2020, 1, 1)
    sources = {"headline": ["old"]}


class New(Layout):
    sources = {"headline": ["new", ...], "body": ["new body"]}


class Site(NewsSpider):
    name = "news-site"
    article_url = re.compile(r"(?P<id>.+)")
    sources = {"headline": ["site"], "authors": ["site authors", ...]}
    layouts = [Old, New]


@pytest.mark.parametrize(("served", "layout"), [
    (dt.datetime(2019, 12, 31, 23, tzinfo=dt.UTC), Old),
    (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), New),
    (dt.datetime(2026, 5, 1, tzinfo=dt.UTC), New),
])
def test_the_layout_is_the_first_still_valid_at_the_reference_time(served, layout):
    assert Site.layout_for(served) is layout


def test_a_layouts_sources_lie_over_the_spiders_and_are_resolved_once():
    spider = Site()
    old = spider.sources_at(dt.datetime(2019, 5, 1, tzinfo=dt.UTC))
    new = spider.sources_at(dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
    assert old["headline"] == ["old"] and old["authors"] == ["site authors", ...]
    assert new["headline"] == ["new", "site"] and new["body"] == ["new body"]  # ``...``: the spider's
    assert new["authors"] == old["authors"] and "body" not in old  # the base's body for the old era
    assert spider.sources_at(dt.datetime(2025, 1, 1, tzinfo=dt.UTC)) is new  # cached per layout


def test_every_news_spider_has_layouts_and_its_site_is_its_name_without_hyphens():
    assert Site.site == "news_site" and NewsSpider.layouts == []
    assert type("Own", (NewsSpider,), {"name": "own-name", "site": "other"}).site == "other"


def test_layouts_out_of_order_are_refused():
    with pytest.raises(TypeError, match="oldest first"):
        type("Bad", (NewsSpider,), {"name": "bad", "layouts": [New, Old]})
