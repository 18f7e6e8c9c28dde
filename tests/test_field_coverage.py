"""Field coverage in real crawls: shares in stats and report, minimums enforced."""

from __future__ import annotations

import json

from conftest import crawl_ahead, mitrade_crawl

from broadsheet.extensions.field_coverage import filled

ALIBABA = "https://www.mitrade.com/au/insights/news/live-news/article-8-1129088-20250917"
BTC = "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206"
NO_AUTHOR = {'"source":"Tradingkey",': "",
             '"author": {"@type": "Organization", "name": "Tradingkey"}, ': "",
             'NewsDetail_sourceName__TihwT">Tradingkey<': 'NewsDetail_sourceName__TihwT"><'}


def test_filled():
    assert not any(filled(v) for v in (None, "", "  ", [], {}))
    assert all(filled(v) for v in ("x", [1], 0, False))


# Each test's crawl runs ahead (``crawl_ahead``), in the background from the session's start.

@crawl_ahead(mitrade_crawl())
def test_coverage_report_and_stats(crawled):
    result = crawled
    assert result.returncode == 0
    report = json.loads(result.out.with_name("out.coverage.json").read_text())
    assert report["items"] == 6 and report["below_minimum"] == {}
    assert report["fields"]["headline"] == {"present": 6, "total": 6, "share": 1.0}
    assert report["fields"]["related.url"]["total"] == 20  # every related card of the 6 articles
    assert report["fields"]["date_modified"]["share"] == 0.0
    assert result.stats["broadsheet/coverage/related.author"] == 1.0
    assert result.stats["broadsheet/coverage/items"] == 6


@crawl_ahead(mitrade_crawl(urls=[ALIBABA], mutated=(ALIBABA, dict(list(NO_AUTHOR.items())[:2]))))
def test_the_visible_source_is_the_last_resort_for_authors(crawled):
    result = crawled
    assert result.items[0]["authors"] == ["Tradingkey"]


@crawl_ahead(mitrade_crawl(urls=[ALIBABA, BTC], mutated=(ALIBABA, NO_AUTHOR)))
def test_coverage_below_minimum_fails_the_crawl(crawled):
    result = crawled
    assert len(result.items) == 2  # still exported: an empty author list is valid
    assert result.finish_reason == "failed_field_coverage"
    assert result.returncode == 1
    assert "Field coverage below FIELD_COVERAGE_MIN over 2 items: authors 50.0% < 95.0%" in result.log
    assert not result.out.with_name("out.coverage.json").exists()  # a failed crawl commits no report
    kept = result.out.with_name(f"out.coverage.json.failed-{result.stats['broadsheet/crawl_id']}")
    report = json.loads(kept.read_text())
    assert report["below_minimum"] == {"authors": {"share": 0.5, "minimum": 0.95}}


@crawl_ahead(mitrade_crawl("-s", 'FIELD_COVERAGE_MIN={"authors": 0.5}', urls=[ALIBABA, BTC],
                           mutated=(ALIBABA, NO_AUTHOR)))
def test_minimums_are_settings(crawled):
    result = crawled
    assert result.finish_reason == "finished" and result.returncode == 0


@crawl_ahead(mitrade_crawl("-s", 'FIELD_COVERAGE_MIN={"authors": 2}', urls=[BTC]))
def test_bad_minimum_is_named(crawled):
    result = crawled
    assert result.returncode == 2 and "FIELD_COVERAGE_MIN['authors']=2: give a number between 0 and 1" in result.log
