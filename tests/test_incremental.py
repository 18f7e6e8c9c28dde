"""Incremental crawls over two recorded days of the site: discovery, crawl state, revisions and
removals, each a real ``scrapy crawl`` in a subprocess through the cassettes in
``fixtures/mitrade/days/`` (imported from the day HARs, only the interactions a crawl needs)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, fixture_ahead, mutated_cassette, run_crawl

from broadsheet.state.store import CrawlState, Record, StateVersionError
from broadsheet.testing import forkserver

DAYS = FIXTURES / "mitrade" / "days"
TRUTH = json.loads((DAYS / "expected.json").read_text(encoding="utf-8"))
DISCOVERY_PATHS = ("robots.txt", ".xml", "/live-news", "live-news?page=")


def day(workdir: Path, n: int, state: Path, *args: str):
    return run_crawl(workdir / f"day-{n}", "mitrade", "-s", f"CRAWL_STATE={state}", *args,
                     cassette=DAYS / f"day-{n}.yaml")


def ids(result) -> list[str]:
    return sorted(item["article_id"] for item in result.items)


def removals(result) -> list[dict]:
    path = result.out.with_name("out.removals.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@fixture_ahead()
def days(work: Path) -> tuple:
    """Day 1, day 2 and day 2 again crawled over one crawl state (made ahead)."""
    state = work / "state"
    first = day(work, 1, state)
    second = day(work, 2, state)
    again = run_crawl(work / "day-2-again", "mitrade", "-s", f"CRAWL_STATE={state}", cassette=DAYS / "day-2.yaml")
    return first, second, again


def test_day_one_exports_every_live_record_once(days):
    first, _, _ = days
    assert first.returncode == 0, first.log[-2000:]
    assert ids(first) == TRUTH["day-1"]["exported"]
    assert {item["revision"] for item in first.items} == {1}
    assert all(item["changed_fields"] is None for item in first.items)
    assert first.stats["broadsheet/discovery/documents/feed"] == 1
    assert first.stats["broadsheet/discovery/documents/sitemapindex"] == 1


def test_a_feed_and_news_sitemap_whose_links_article_url_no_longer_matches_say_so(tmp_path):
    """The site changed its article URLs (``/story-`` for ``/article-``) in its feed and news sitemap: each is
    named in a WARNING and its entries counted, and the listing and the monthly sitemaps still find the stories."""
    feed, news = "https://www.mitrade.com/au/insights/news/live-news/rss.xml", "https://www.mitrade.com/sitemap-news.xml"
    cassette = mutated_cassette(tmp_path, feed, {"/article-": "/story-"}, source=DAYS / "day-1.yaml")
    cassette = mutated_cassette(tmp_path, news, {"/article-": "/story-"}, source=cassette)
    result = run_crawl(tmp_path / "crawl", "mitrade", "-s", f"CRAWL_STATE={tmp_path / 'state'}", cassette=cassette)
    assert result.returncode == 0, result.log[-2000:]
    for url, kind in ((feed, "feed"), (news, "news_sitemap")):
        assert f"{url} lists " in result.log and "MitradeSpider.article_url matches none of them" in result.log
        assert result.stats[f"broadsheet/discovery/not_article_url/{kind}"] > 0
    assert ids(result) == TRUTH["day-1"]["exported"]


def test_day_one_reports_the_pages_the_listing_still_links_as_removed(days):
    first, _, _ = days
    assert sorted(r["article_id"] for r in removals(first)) == TRUTH["day-1"]["removed"]
    assert {r["reason"] for r in removals(first)} == {"removed", "http_404"}
    assert not any(r["previously_exported"] for r in removals(first))


def test_day_two_exports_exactly_the_new_and_revised_records(days):
    _, second, _ = days
    assert second.returncode == 0, second.log[-2000:]
    assert ids(second) == TRUTH["day-2"]["exported"]
    revised = {item["article_id"]: item for item in second.items if item["revision"] > 1}
    assert {k: v["date_modified"] for k, v in revised.items()} == TRUTH["day-2"]["revised"]
    assert all({"body", "headline", "date_modified"} <= set(item["changed_fields"]) for item in revised.values())
    assert all("related" not in item["changed_fields"] for item in revised.values())


def test_day_two_requests_only_what_changed(days):
    _, second, _ = days
    exported = len(TRUTH["day-2"]["exported"])
    article_requests = second.stats["downloader/request_count"] - sum(
        second.stats.get(f"broadsheet/discovery/documents/{k}", 0) for k in ("feed", "sitemapindex", "urlset")
    ) - second.stats["broadsheet/pages/listing"] - 2  # robots.txt, the listing's 301
    assert article_requests <= 1.1 * exported + 3
    assert second.stats["broadsheet/discovery/unchanged/sitemap"] == 3  # older months: not requested
    assert second.stats["broadsheet/discovery/recheck/sitemap"] == 1  # but one, least recently read
    assert second.stats["broadsheet/discovery/planned/gone_from_sitemap"] == 1


def test_day_two_reports_the_removed_story_as_a_tombstone(days):
    _, second, _ = days
    [gone] = removals(second)
    assert [gone["article_id"]] == TRUTH["day-2"]["removed"]
    assert gone["previously_exported"] and gone["revision"] == 1 and gone["story"]


def test_a_translation_is_its_own_record_of_the_same_story(days):
    first, _, _ = days
    es = {i["article_id"]: i for i in first.items if i["language"] == "es"}
    en = {i["article_id"]: i for i in first.items if i["language"] == "en-AU" and i["article_id"] in es}
    assert es and all(es[k]["story"] == en[k]["story"] for k in es)
    assert len({i["story"] for i in first.items}) == len({i["article_id"] for i in first.items})


def test_the_same_day_again_exports_and_requests_no_article(days):
    _, _, again = days
    assert again.returncode == 0 and again.items == []
    assert not any(key.startswith("broadsheet/discovery/planned/") for key in again.stats)
    assert again.stats["broadsheet/discovery/skipped/unchanged"] > 0
    assert again.stats["broadsheet/pages/listing"] == 1  # page 1 brought nothing new: page 2 not read


def test_without_feed_or_sitemaps_the_listing_is_crawled_and_the_missing_reported(crawl):
    result = crawl("mitrade")
    assert result.returncode == 0 and len(result.items) == 6
    for kind in ("feed", "news_sitemap", "sitemap"):
        assert result.stats[f"broadsheet/discovery/missing/{kind}"] == 1
    assert not any(k.startswith("broadsheet/pages/failed") for k in result.stats)


def test_a_second_concurrent_writer_is_refused(tmp_path):
    state = tmp_path / "state"
    holder = CrawlState.open(state)
    try:
        result = day(tmp_path, 1, state)
    finally:
        holder.close()
    assert result.returncode == 1 and result.items == []
    assert f"CRAWL_STATE={state} is in use by pid {os.getpid()}" in result.log


def test_kill_9_mid_crawl_loses_and_doubles_no_story(tmp_path):
    state = tmp_path / "state"
    # At the fifth record through every pipeline, one request at a time: others are still to come.
    killed = killed_day_one(tmp_path, "item:5", "-s", "LOG_LEVEL=DEBUG", "-s", "CONCURRENT_REQUESTS=1")
    assert 5 <= killed.stderr.count("Scraped from <200") < len(TRUTH["day-1"]["exported"])
    assert not (tmp_path / "killed" / "out.jsonl").exists()  # the feed is published atomically, at the end only
    rerun = day(tmp_path, 1, state)
    assert ids(rerun) == TRUTH["day-1"]["exported"]
    assert ids(day(tmp_path, 2, state)) == TRUTH["day-2"]["exported"]


@pytest.mark.parametrize("published", [False, True])
def test_a_prepared_run_is_kept_or_undone_by_the_next_open_as_its_outputs_say(tmp_path, published):
    state = CrawlState.open(tmp_path)
    state.save(Record(key="s:1:en", url="https://s/1", fields={"body": "00" * 8}), ["https://s/en/1"])
    state.finish()
    state = CrawlState.open(tmp_path)
    state.save(Record(key="s:1:en", url="https://s/1", revision=2, fields={"body": "11" * 8}))
    state.save(Record(key="s:2:en", url="https://s/2", sitemap="https://s/sitemap.xml"), ["https://s/en/2"])
    state.index_bands([1, 2, 3], "s:2")
    state.prepare({"crawl_id": "x"})
    state.db.close()  # killed: no finish, the lock goes with the process
    state._lock.close()
    state = CrawlState.open(tmp_path, judge=lambda pending: pending["crawl_id"] == "x" and published)
    assert state.record_for_url("https://s/en/1").revision == (2 if published else 0)
    assert (state.record_for_url("https://s/en/2") is not None) is published
    assert state.story_sharing_most([1, 2, 3, 4]) == (("s:2", 3) if published else None)
    assert state.live_sitemaps() == ({"https://s/sitemap.xml"} if published else set())
    state.close()


def test_a_state_of_another_layout_is_refused_with_what_to_do(tmp_path):
    CrawlState.open(tmp_path).finish()
    import sqlite3

    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        db.execute("update meta set value = '1' where key = 'schema_version'")
    with pytest.raises(StateVersionError, match=f"CRAWL_STATE={tmp_path} holds a crawl state of layout 1"):
        CrawlState.open(tmp_path)
    with pytest.raises(StateVersionError):  # refused again, not "in use": the lock was released
        CrawlState.open(tmp_path)


def test_a_crawl_failing_its_gate_publishes_nothing_and_leaves_the_state_as_it_was(tmp_path):
    state = tmp_path / "state"
    failed = day(tmp_path / "failed", 1, state, "-s", 'FIELD_COVERAGE_MIN={"date_modified": 1.0}')
    assert failed.returncode == 1 and failed.finish_reason == "failed_field_coverage"
    assert "not saved: the crawl failed (failed_field_coverage)" in failed.log
    assert ids(day(tmp_path, 1, state)) == TRUTH["day-1"]["exported"]  # nothing of day 1 was lost


def killed_day_one(tmp_path: Path, point: str, *args: str) -> subprocess.CompletedProcess:
    """Day 1 crawled into ``tmp_path/killed/out.jsonl`` that SIGKILLs itself at ``point``
    (``tests/helpers/killpoint.py``)."""
    from helpers.killpoint import kill_args

    out = tmp_path / "killed" / "out.jsonl"
    out.parent.mkdir()
    cmd = [sys.executable, "-m", "scrapy", "crawl", "mitrade", "-s", f"VCR_CASSETTE={DAYS / 'day-1.yaml'}",
           "-s", f"CRAWL_STATE={tmp_path / 'state'}", *kill_args(point), "-O", str(out), *args]
    proc = forkserver.run(cmd, cwd=ROOT, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    return proc


def feed_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return sorted(json.loads(line)["article_id"] for line in path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize(("point", "published"), [("prepared", False), ("feeds_published", True)])
def test_kill_9_while_publishing_loses_and_doubles_no_story(tmp_path, point, published):
    killed = killed_day_one(tmp_path, point)
    delivered = feed_ids(tmp_path / "killed" / "out.jsonl")
    assert delivered == (TRUTH["day-1"]["exported"] if published else [])
    tombstones = tmp_path / "killed" / "out.removals.jsonl"
    assert not tombstones.exists()  # written last, after every output
    rerun = day(tmp_path, 1, tmp_path / "state")
    assert rerun.returncode == 0
    outcome = "published, so its state is kept" if published else "not published, so its state is undone"
    assert f"was killed while publishing; its outputs were {outcome}" in rerun.log, killed.stderr[-1000:]
    assert sorted(delivered + ids(rerun)) == TRUTH["day-1"]["exported"]  # each record once, over both runs
    found = [json.loads(line)["article_id"] for line in tombstones.read_text().splitlines()] if published else []
    assert sorted(found + gone_ids(rerun)) == TRUTH["day-1"]["removed"]  # the killed run's, completed by the next
    if published:
        assert ids(day(tmp_path, 2, tmp_path / "state")) == TRUTH["day-2"]["exported"]


def test_kill_9_after_the_dataset_commit_keeps_the_run(tmp_path):
    data = tmp_path / "data"
    killed_day_one(tmp_path, "published", "-s", f"DATASET_URI={data}")
    for n in (1, 2):
        assert day(tmp_path, n, tmp_path / "state", "-s", f"DATASET_URI={data}").returncode == 0
    import duckdb

    rows = duckdb.sql(f"select article_id, language, revision from read_parquet('{data}/**/*.parquet', "
                      "hive_partitioning = true, union_by_name = true)").fetchall()
    assert len(rows) == len(set(rows)) == 21 + 10


OLD_STORY = "https://www.mitrade.com/au/insights/news/live-news/article-3-560218-20241217"
OLD_MONTH = "https://www.mitrade.com/sitemaps/articles-2024-12.xml"
INDEX = "https://www.mitrade.com/sitemap.xml"


def edited_day_two(path: Path, bodies: dict[str, str], gone: list[str] = ()) -> Path:
    """Day 2's cassette with the responses of ``bodies`` (URL -> new body) replaced and the
    pages ``gone`` answering 404, written to ``path``."""
    from broadsheet.recording.serializer import deserialize, serialize

    data = deserialize((DAYS / "day-2.yaml").read_text(encoding="utf-8"))
    template = next(i for i in data["interactions"] if i["request"]["uri"] == INDEX)
    for url in gone:
        data["interactions"].append({"request": {**template["request"], "uri": url}, "response": {
            **template["response"], "body": {"string": "Not found"}, "status": {"code": 404, "message": "Not Found"},
            "headers": {**template["response"]["headers"], "content-type": ["text/html"], "content-length": ["9"]}}})
    for interaction in data["interactions"]:
        if (body := bodies.get(interaction["request"]["uri"])) is not None:
            interaction["response"]["body"]["string"] = body
            interaction["response"]["headers"].pop("content-length", None)
    path.write_text(serialize(data), encoding="utf-8")
    return path


def recorded(url: str) -> str:
    from broadsheet.recording.serializer import deserialize

    data = deserialize((DAYS / "day-2.yaml").read_text(encoding="utf-8"))
    return next(i["response"]["body"]["string"] for i in data["interactions"] if i["request"]["uri"] == url)


def without_old_story() -> str:
    """The 2024-12 article sitemap once its only story is removed (its newest lastmod unknown)."""
    return re.sub(r"<url>.*</url>", "", recorded(OLD_MONTH), flags=re.S)


def gone_ids(result) -> list[str]:
    return sorted(r["article_id"] for r in removals(result))


@fixture_ahead()
def day_one(work: Path) -> tuple:
    """Day 1 crawled: its result and its crawl state (copied by each test that goes on from it; made ahead)."""
    result = day(work, 1, work / "state")
    assert result.returncode == 0
    return result, work / "state"


@pytest.fixture
def after_day_one(day_one):
    return day_one[1]


def go_on(after_day_one: Path, tmp_path: Path) -> Path:
    shutil.copytree(after_day_one, tmp_path / "state")
    return tmp_path / "state"


@pytest.mark.parametrize("index", ["no_lastmod", "file_dropped"])
def test_a_removal_from_an_old_sitemap_is_found_without_the_index_lastmod(after_day_one, tmp_path, index):
    state = go_on(after_day_one, tmp_path)
    if index == "no_lastmod":  # the index gives no <lastmod>: every file is read, absence judged from them
        bodies = {INDEX: re.sub(r"\s*<lastmod>[^<]*</lastmod>", "", recorded(INDEX)), OLD_MONTH: without_old_story()}
    else:  # the index no longer lists the file at all (the others keep their <lastmod>)
        bodies = {INDEX: re.sub(r"\s*<sitemap>\s*<loc>[^<]*2024-12[^<]*</loc>.*?</sitemap>", "", recorded(INDEX),
                                flags=re.S)}
    cassette = edited_day_two(tmp_path / "day-2-edited.yaml", bodies, gone=[OLD_STORY])
    result = run_crawl(tmp_path / "run", "mitrade", "-s", f"CRAWL_STATE={state}", cassette=cassette)
    assert result.returncode == 0, result.log[-2000:]
    assert ids(result) == TRUTH["day-2"]["exported"]
    assert gone_ids(result) == sorted([*TRUTH["day-2"]["removed"], "560218"])
    assert result.stats["broadsheet/discovery/planned/gone_from_sitemap"] == 2


def test_an_unchanged_index_lastmod_hides_no_removal_for_long(after_day_one, tmp_path):
    """The index keeps the 2024-12 file's <lastmod> (its newest story did not change) although its
    story was removed: the bounded re-read (SITEMAP_RECHECK_MAX=1) finds it within 4 runs."""
    state = go_on(after_day_one, tmp_path)
    cassette = edited_day_two(tmp_path / "day-2-edited.yaml", {OLD_MONTH: without_old_story()}, gone=[OLD_STORY])
    found = []
    for n in range(4):
        result = run_crawl(tmp_path / f"run-{n}", "mitrade", "-s", f"CRAWL_STATE={state}", cassette=cassette)
        assert result.returncode == 0 and result.stats["broadsheet/discovery/recheck/sitemap"] == 1
        found += gone_ids(result)
    assert "560218" in found and found.count("560218") == 1


def test_a_sitemap_cut_short_judges_no_removal(after_day_one, tmp_path):
    state = go_on(after_day_one, tmp_path)
    month = "https://www.mitrade.com/sitemaps/articles-2026-02.xml"
    cut = recorded(month)[: len(recorded(month)) // 3]
    result = run_crawl(tmp_path / "run", "mitrade", "-s", f"CRAWL_STATE={state}",
                       cassette=edited_day_two(tmp_path / "day-2-cut.yaml", {month: cut}))
    assert result.returncode == 0
    assert "broadsheet/discovery/planned/gone_from_sitemap" not in result.stats
    assert ids(result) == TRUTH["day-2"]["exported"]  # the feed and news sitemap still announce the new ones


ARTICLE_PAGE = re.compile(r"/article-\d+-(?P<id>\d+)-\d{8}$")


def load_cassette(n: int) -> list[dict]:
    from broadsheet.recording.serializer import deserialize

    return deserialize((DAYS / f"day-{n}.yaml").read_text(encoding="utf-8"))["interactions"]


def write_cassette(path: Path, interactions: list[dict]) -> Path:
    from broadsheet.recording.serializer import serialize

    path.write_text(serialize({"interactions": interactions, "version": 1}), encoding="utf-8")
    return path


def validating_site(tmp_path: Path) -> tuple[Path, Path]:
    """Day 1 of a site without sitemaps whose pages carry ETag and Last-Modified (cassette A), and
    the next run's answers (cassette B): a 304 to each conditional GET of an unchanged page, the
    revised 1572044 page (day 2's) with a new ETag to any request."""
    robots_sitemaps = re.compile(r"^Sitemap:.*$", re.M)
    first, second = [], []
    revised = {i["request"]["uri"]: i for i in load_cassette(2) if i["request"]["uri"].endswith("-1572044-20260206")}
    for interaction in load_cassette(1):
        uri, response = interaction["request"]["uri"], interaction["response"]
        if uri.endswith(".xml") and "/sitemap" in uri:
            continue
        if uri.endswith("/robots.txt"):
            response["body"]["string"] = robots_sitemaps.sub("", response["body"]["string"])
            response["headers"].pop("content-length", None)
        match = ARTICLE_PAGE.search(uri)
        if not match or response["status"]["code"] != 200:
            first.append(interaction)
            second.append(interaction)
            continue
        etag = f'"{match["id"]}-v1"'
        validators = {"etag": [etag], "last-modified": ["Thu, 05 Feb 2026 12:00:00 GMT"]}
        first.append({**interaction, "response": {**response, "headers": {**response["headers"], **validators}}})
        if uri in revised:
            fresh = revised[uri]["response"]
            changed = {"etag": [f'"{match["id"]}-v2"'], "last-modified": ["Sat, 07 Feb 2026 01:00:00 GMT"]}
            second.append({**interaction, "response": {**fresh, "headers": {**fresh["headers"], **changed}}})
            continue
        request = {**interaction["request"], "headers": {**interaction["request"]["headers"], "If-None-Match": [etag]}}
        second.append({"request": request, "response": {
            "body": {"string": ""}, "status": {"code": 304, "message": "Not Modified"},
            "headers": {"date": response["headers"]["date"], **validators}}})
    return write_cassette(tmp_path / "a.yaml", first), write_cassette(tmp_path / "b.yaml", second)


@fixture_ahead()
def validated(work: Path) -> tuple:
    """Cassettes A and B, and a crawl state after crawling A (made ahead)."""
    first, second = validating_site(work)
    result = run_crawl(work / "a", "mitrade", "-s", f"CRAWL_STATE={work / 'state'}", cassette=first)
    assert result.returncode == 0 and result.items, result.log[-2000:]
    return work / "state", second, result


def test_a_conditional_get_costs_an_unchanged_story_a_304_and_a_changed_one_is_exported(validated, tmp_path):
    state, second, first = validated
    state = shutil.copytree(state, tmp_path / "state")
    result = run_crawl(tmp_path / "b", "mitrade", "-s", f"CRAWL_STATE={state}", "-s", "CRAWL_RECHECK_MAX=100",
                       cassette=second)
    assert result.returncode == 0, result.log[-2000:]
    rechecked = result.stats["broadsheet/discovery/planned/recheck"]
    assert rechecked >= 5
    assert result.stats["downloader/response_status_count/304"] == rechecked - 1
    assert result.stats["broadsheet/pages/skipped/not_modified"] == rechecked - 1
    [revised] = result.items
    assert (revised["article_id"], revised["revision"]) == ("1572044", 2) and "body" in revised["changed_fields"]


def test_the_recheck_is_bounded_by_crawl_recheck_max(validated, tmp_path):
    state, second, _ = validated
    state = shutil.copytree(state, tmp_path / "state")
    result = run_crawl(tmp_path / "b", "mitrade", "-s", f"CRAWL_STATE={state}", cassette=second)
    assert result.returncode == 0, result.log[-2000:]
    assert result.stats["broadsheet/discovery/planned/recheck"] == 3  # CRAWL_RECHECK_MAX's default
    again = run_crawl(tmp_path / "c", "mitrade", "-s", f"CRAWL_STATE={state}", cassette=second)
    assert again.stats["broadsheet/discovery/planned/recheck"] == 3  # the next three: least recently checked first
    assert result.stats["downloader/request_count"] == again.stats["downloader/request_count"]


REUTERS = FIXTURES / "reuters" / "oil_2019"


def wire_copy(record: dict) -> list[str]:
    """The paragraphs of ``record``'s story as another publisher republishes it: a dateline, a
    credit line."""
    paragraphs = [p for p in record["body"].split("\n") if p.strip()]
    return [f"SINGAPORE (Reuters) - {paragraphs[0]}", *paragraphs[1:], "(Reporting by Ana Lima; Editing by Tom Hale)"]


def reuters_page_with(paragraphs: list[str], path: Path) -> Path:
    """The recorded Reuters case with its article body replaced by ``paragraphs``."""
    import gzip

    from lxml import html

    from broadsheet.recording.serializer import deserialize, serialize

    data = deserialize(gzip.decompress((REUTERS / "cassette.yaml.gz").read_bytes()).decode("utf-8"))
    url = json.loads((REUTERS / "meta.json").read_text(encoding="utf-8"))["urls"][0]
    page = next(i["response"] for i in data["interactions"] if i["request"]["uri"] == url)
    tree = html.fromstring(page["body"]["string"])
    [container] = tree.xpath('//div[@class="StandardArticleBody_body"]')
    for old in container.findall("p"):
        container.remove(old)
    for n, text in enumerate(paragraphs):
        new = html.Element("p")
        new.text = text
        container.insert(n, new)
    page["body"]["string"] = html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    page["headers"].pop("content-length", None)
    path.write_text(serialize(data), encoding="utf-8")
    return path


def test_the_same_wire_story_on_two_sites_is_one_story_and_other_stories_of_its_topic_are_not(day_one, tmp_path):
    first, state = day_one
    state = go_on(state, tmp_path)
    mitrade = {(i["article_id"], i["language"]): i for i in first.items}
    oil = mitrade["1570912", "en-AU"]  # "Oil Edges Higher as OPEC+ Signals Steady Output Through March"
    url = json.loads((REUTERS / "meta.json").read_text(encoding="utf-8"))["urls"][0]
    copy = run_crawl(tmp_path / "copy", "reuters", "-s", f"CRAWL_STATE={state}", urls=[url],
                     cassette=reuters_page_with(wire_copy(oil), tmp_path / "copy.yaml"))
    assert copy.returncode == 0, copy.log[-2000:]
    [republished] = copy.items
    assert republished["site"] == "reuters" and republished["body"].startswith("SINGAPORE (Reuters)")
    assert republished["story"] == oil["story"]

    fresh = shutil.copytree(day_one[1], tmp_path / "fresh")  # day 1 only: the page is not the copy's revision
    original = run_crawl(tmp_path / "original", "reuters", "-s", f"CRAWL_STATE={fresh}", urls=[url],
                         cassette=REUTERS / "cassette.yaml.gz")  # oil too, another story: its own key
    [other] = original.items
    assert other["story"] not in {i["story"] for i in first.items}
    bitcoin = [i["story"] for (article, language), i in mitrade.items()
               if language == "en-AU" and "bitcoin" in i["headline"].lower()]
    assert len(bitcoin) >= 2 and len(set(bitcoin)) == len(bitcoin)  # one topic, as many stories


def test_the_dataset_keeps_every_revision_and_the_readme_query_reads_the_latest(tmp_path):
    import duckdb

    state, data = tmp_path / "state", tmp_path / "data"
    for n in (1, 2):
        assert day(tmp_path, n, state, "-s", f"DATASET_URI={data}").returncode == 0
    rows = f"read_parquet('{data}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
    assert duckdb.sql(f"select count(*) from {rows}").fetchall() == [(21 + 10,)]
    latest = duckdb.sql(f"""
        select article_id, revision from {rows}
        qualify row_number() over (partition by site, article_id, split_part(language, '-', 1)
                                   order by revision desc nulls last, crawled_at desc) = 1""").fetchall()
    assert len(latest) == len(TRUTH["day-2"]["live"]) + len(TRUTH["day-2"]["removed"])
    assert sorted(a for a, revision in latest if revision == 2) == sorted(TRUTH["day-2"]["revised"])


def test_a_near_duplicate_body_at_another_url_joins_the_first_story():
    from broadsheet.state.stories import assign_story

    state = CrawlState.open(None)
    body = " ".join(f"word{n} of the syndicated story about markets" for n in range(60))
    assert assign_story(state, body, "first", None) == "first"
    assert assign_story(state, body + " (Reuters)", "copy", None) == "first"
    assert assign_story(state, "an unrelated story about the weather " * 30, "other", None) == "other"
    assert assign_story(state, body, "another", "sibling") == "sibling"  # a sibling's story wins
    state.close()
