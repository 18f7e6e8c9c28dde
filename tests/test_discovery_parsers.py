"""Feed, sitemap and robots parsers on data files: each ``tests/discovery_cases/<name>.<ext>`` beside
``<name>.expected.json`` (what the parser must give, exactly)."""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict

import pytest
from conftest import ROOT
from lxml import html

from broadsheet.discovery.announce import merge
from broadsheet.discovery.feeds import FeedError, parse_feed
from broadsheet.discovery.links import feed_links, sitemaps_from_robots
from broadsheet.discovery.sitemaps import SitemapError, parse_sitemap

CASES = ROOT / "tests" / "discovery_cases"
INPUTS = sorted(p for p in CASES.iterdir() if not p.name.endswith(".expected.json"))


def expected(path):
    return json.loads((CASES / f"{path.stem}.expected.json").read_text(encoding="utf-8"))


def parsed(path, body: bytes):
    if path.stem.startswith(("rss", "atom", "jsonfeed")):
        return parse_feed(body, str(path))
    sitemap = parse_sitemap(body, str(path))
    return {**asdict(sitemap), "is_news": sitemap.is_news, "sitemaps": [list(s) for s in sitemap.sitemaps]}


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_parser_gives_the_expected_announcements(path):
    assert parsed(path, path.read_bytes()) == expected(path)


SITEMAPS = [p for p in INPUTS if p.suffix == ".xml" and ("sitemap" in p.stem or "urlset" in p.stem)]


@pytest.mark.parametrize("path", SITEMAPS, ids=lambda p: p.name)
def test_gzipped_sitemaps_read_the_same(path):
    assert parsed(path, gzip.compress(path.read_bytes())) == expected(path)


@pytest.mark.parametrize("body", [b"<html><body>Not found</body></html>", b"\x00\x01garbage", b""])
def test_a_document_that_is_no_sitemap_is_named(body):
    with pytest.raises(SitemapError, match="page.xml"):
        parse_sitemap(body, "https://x.example/page.xml")


@pytest.mark.parametrize("body", [b"<html><body>Moved</body></html>", b'{"items": []}', b"{not json"])
def test_a_document_that_is_no_feed_is_named(body):
    with pytest.raises(FeedError, match="rss.xml"):
        parse_feed(body, "https://x.example/rss.xml")


def test_robots_sitemap_lines_in_order_without_repeats():
    robots = (b"User-agent: *\nDisallow: /api/\nSitemap: https://x.example/sitemap.xml\n"
              b"sitemap: https://x.example/news.xml\nSitemap: https://x.example/sitemap.xml\n")
    assert sitemaps_from_robots(robots) == ["https://x.example/sitemap.xml", "https://x.example/news.xml"]


def test_feed_links_of_a_page_are_absolute_and_typed():
    page = html.fromstring(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/au/rss.xml"/>'
        '<link rel="alternate" type="application/atom+xml; charset=utf-8" href="https://x.example/atom"/>'
        '<link rel="alternate" hreflang="es" href="/es/"/><link rel="stylesheet" href="/a.css"/></head></html>')
    assert feed_links(page, "https://x.example/au/news") == ["https://x.example/au/rss.xml", "https://x.example/atom"]


def test_merge_unites_lists_keeps_first_values_and_the_newest_lastmod():
    merged = merge({"url": "u"}, {"url": "u", "sources": ["feed"], "headline": "Feed title", "keywords": ["a"],
                                  "lastmod": "2026-02-06T00:00:00Z"})
    merge(merged, {"url": "u", "sources": ["sitemap"], "headline": "Other", "keywords": ["b", "a"],
                   "lastmod": "2026-02-07T00:00:00Z", "tickers": []})
    assert merged == {"url": "u", "sources": ["feed", "sitemap"], "headline": "Feed title", "keywords": ["a", "b"],
                      "lastmod": "2026-02-07T00:00:00Z"}


def test_a_sitemap_cut_short_is_read_as_far_as_it_goes_and_marked_incomplete():
    body = (CASES / "urlset_hreflang.xml").read_bytes()
    whole, cut = parse_sitemap(body), parse_sitemap(body[: len(body) * 2 // 3])
    assert whole.complete and not cut.complete
    assert 0 < len(cut.urls) < len(whole.urls)
