"""Schema validation inside real crawls: records stamped, invalid items quarantined, gate enforced."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, CrawlResult, crawl_ahead, mitrade_crawl, mutated_cassette, run_crawl

from schemas.registry import default_registry

LATEST = default_registry().get("article").ref
"""The newest article schema version (a new one lands without touching these tests)."""

ALIBABA = "https://www.mitrade.com/au/insights/news/live-news/article-8-1129088-20250917"
BTC = "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206"
HEADLINE = "Alibaba’s Market Cap Returns to HK$3 Trillion — Will Jack Ma Lead Alibaba to Greatness Again?"


# Each test's crawl runs ahead (``crawl_ahead``), in the background from the session's start.
NO_HEADLINE = (ALIBABA, {HEADLINE: ""})


@crawl_ahead(mitrade_crawl(urls=[ALIBABA]))
def test_valid_records_carry_their_schema(crawled):
    result = crawled
    assert result.returncode == 0
    assert result.items[0]["record_schema"] == LATEST
    assert result.stats["broadsheet/schema"] == LATEST
    assert result.stats["broadsheet/valid"] == 1
    quarantine = result.out.with_name("out.quarantine.jsonl")
    assert quarantine.exists() and quarantine.read_text() == ""


@crawl_ahead(mitrade_crawl("-s", "SCHEMA=article@1", urls=[ALIBABA]))
def test_pinning_version_1_projects_records_onto_it(crawled):
    result = crawled
    assert result.returncode == 0
    v1 = json.loads((ROOT / "schemas" / "article" / "1.json").read_text(encoding="utf-8"))
    assert list(result.items[0]) == list(v1["properties"])


def redesigned_crawl(folder: Path) -> CrawlResult:
    return run_crawl(folder, "mitrade", "-s", f"QUARANTINE_URI={folder / 'q' / 'bad.jsonl'}", urls=[ALIBABA, BTC],
                     cassette=mutated_cassette(folder, *NO_HEADLINE))


@crawl_ahead(redesigned_crawl)
def test_redesigned_page_is_quarantined_not_lost(crawled):
    result = crawled
    quarantine = result.out.parent / "q" / "bad.jsonl"
    assert [item["url"] for item in result.items] == [BTC]
    # The crawl fails its gate (below), so its quarantine is kept beside, not committed.
    assert not quarantine.exists()
    kept = quarantine.with_name(f"bad.jsonl.failed-{result.stats['broadsheet/crawl_id']}")
    entries = [json.loads(line) for line in kept.read_text().splitlines()]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["url"] == ALIBABA and entry["schema"] == LATEST and entry["spider"] == "mitrade"
    assert entry["errors"] == [{"path": "$.headline", "message": "null is not of type \"string\"",
                                "keyword": "type"}]
    assert entry["item"]["body"].startswith("TradingKey - As of September 17")
    assert result.stats["broadsheet/quarantined"] == 1
    assert result.stats["broadsheet/invalid/headline/type"] == 1
    # 1 of 2 invalid is above the default QUARANTINE_MAX_SHARE of 0.1: the crawl fails.
    assert result.finish_reason == "failed_invalid_share"
    assert result.returncode == 1
    assert "QUARANTINE_MAX_SHARE=0.1" in result.log


@crawl_ahead(mitrade_crawl("-s", "QUARANTINE_MAX_SHARE=0.5", urls=[ALIBABA, BTC], mutated=NO_HEADLINE))
def test_share_below_the_gate_finishes(crawled):
    result = crawled
    assert result.finish_reason == "finished" and result.returncode == 0
    assert result.stats["broadsheet/quarantined"] == 1


# No publishTime in the page state, no JSON-LD date: no instant, and the URL's calendar day.
@crawl_ahead(mitrade_crawl("-s", "QUARANTINE_MAX_SHARE=1", urls=[ALIBABA], mutated=(ALIBABA, {
    '"publishTime":1758091272000,': "", '"datePublished": "2025-09-17T14:41:12+08:00", ': ""})))
def test_without_structured_dates_the_url_day_is_kept_as_a_date(crawled):
    result = crawled
    assert result.items and result.items[0]["date_published"] is None
    assert result.items[0]["publication_date"] == "2025-09-17"  # the URL's day, in site time


@crawl_ahead(mitrade_crawl("-s", "SCHEMA=article@7", urls=[ALIBABA]))
def test_unknown_schema_setting_is_named(crawled):
    result = crawled
    assert result.returncode != 0
    registered = [f"article@{v}" for v in range(1, int(LATEST.split("@")[1]) + 1)]
    assert f"SCHEMA='article@7': article has no version 7; registered: {registered}" in result.log
