"""Run-over-run monitoring: history by default, drift judged against past good runs, overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
from conftest import (
    ROOT,
    CrawlResult,
    cassette_without_images,
    copy_of_good_history,
    crawl_ahead,
    crawl_over,
    run_crawl,
)
from scrapy.utils.test import get_crawler

from broadsheet.extensions.monitor import RunMonitor
from broadsheet.monitoring.history import History, build_record, history_folder
from broadsheet.monitoring.rules import judge, resolve_rules, rule_for, usual_range
from broadsheet.testing import forkserver
from schemas.registry import default_registry
from spiders.mitrade import MitradeSpider


def record(items=6, image=1.0, outcomes=None, sources=None, reason="finished", verdict="ok", run="2026"):
    return {"run_id": run, "job": "default", "items": items, "finish_reason": reason, "verdict": verdict,
            "coverage": {"headline": 1.0, "image": image}, "outcomes": outcomes or {"article": 6, "skipped/removed": 1},
            "sources": sources or {}}


# --- rules ------------------------------------------------------------------------------------


def test_nothing_is_judged_before_the_minimum_of_good_runs():
    assert judge(record(image=0.0), [record()] * 2, 3, {}) == []
    assert [f.metric for f in judge(record(image=0.0), [record()] * 3, 3, {})] == ["coverage/image"]


def test_usual_range_is_median_and_scaled_mad_with_a_floor():
    rule = rule_for("coverage/image", {})
    assert usual_range([1.0, 1.0, 1.0], rule) == (1.0, 0.95, 1.05)  # no spread: the floor
    median, low, high = usual_range([10, 12, 11, 30], rule_for("items", {}))  # one outlier barely moves it
    assert median == 11.5 and low == pytest.approx(11.5 - 3 * 1.4826 * 1.0)


def test_each_kind_of_metric_and_its_direction():
    past = [record(sources={"image": {"page_state": 6}}) for _ in range(3)]
    findings = {f.metric: f for f in judge(
        record(items=2, outcomes={"article": 2, "failed/TimeoutError": 5}, sources={"image": {"og": 2}}), past, 3, {})}
    assert findings["items"].level == "fail" and findings["items"].usual == 6
    assert findings["outcome/failed/TimeoutError"].level == "warn"  # new outcome: usual share 0
    assert findings["outcome/skipped/removed"].now == 0.0  # gone outcome: share 0
    assert findings["source/image"].now == "og" and findings["source/image"].usual == "page_state"
    assert not judge(record(items=60), past, 3, {})  # more items: "down" only


def test_the_finding_says_field_now_usual_and_runs_in_one_line():
    finding = judge(record(image=0.0), [record()] * 4, 3, {})[0]
    assert finding.message() == ("Drift: image coverage 0.0% now, usual 100.0% (range 95.0% to 100.0%, median of "
                                 "the last 4 good runs): 100.0 points down; the crawl fails (failed_drift)")


def test_overrides_by_kind_and_by_metric_and_bad_ones_named():
    rules = resolve_rules({"coverage": {"level": "warn"}}, {"coverage/image": {"level": "off"}})
    assert rule_for("coverage/headline", rules).level == "warn"
    assert judge(record(image=0.0), [record()] * 3, 3, rules) == []
    for bad in ({"nope": {}}, {"items": {"tolerance": 1}}, {"items": {"level": "panic"}}):
        with pytest.raises(ValueError, match="monitor rule"):
            resolve_rules(bad)


def test_failed_runs_are_not_the_usual():
    history = [record(run=f"r{i}") for i in range(3)] + [record(image=0.0, verdict="fail", run="r3")]
    assert judge(record(image=0.0, run="r4"), history, 3, {})  # the failed run did not become normal


def test_a_spider_tightens_or_loosens_its_rules(tmp_path):
    class Strict(MitradeSpider):
        monitor_rules = {"coverage/tickers": {"floor": 0.01}, "outcome": {"level": "fail"}}

    crawler = get_crawler(Strict, {"EXTENSIONS": {RunMonitor: 850}, "HISTORY_URI": str(tmp_path),
                                   "MONITOR_RULES": {"outcome": {"k": 5}}})
    crawler._apply_settings()
    monitor = crawler.get_extension(RunMonitor)
    assert rule_for("coverage/tickers", monitor.rules).floor == 0.01
    assert rule_for("outcome/article", monitor.rules).level == "fail" and rule_for("outcome/x", monitor.rules).k == 5


def test_an_incremental_crawl_is_its_own_job_judged_on_coverage_not_volume(tmp_path):
    def monitor(settings: dict) -> RunMonitor:
        base = {"EXTENSIONS": {RunMonitor: 850}, "HISTORY_URI": str(tmp_path)}
        crawler = get_crawler(MitradeSpider, {**base, **settings})
        crawler._apply_settings()
        return crawler.get_extension(RunMonitor)

    full, daily = monitor({}), monitor({"CRAWL_STATE": str(tmp_path / "state")})
    assert full.job == "default" and daily.job != full.job
    assert rule_for("items", daily.rules).level == "off" and rule_for("outcome/exported", daily.rules).level == "off"
    assert rule_for("coverage/image", daily.rules).level == "fail" and rule_for("items", full.rules).level == "fail"
    again = monitor({"CRAWL_STATE": str(tmp_path / "state"), "MONITOR_RULES": {"items": {"level": "warn"}}})
    assert rule_for("items", again.rules).level == "warn"


def test_history_keeps_the_newest_runs(tmp_path):
    history = History(tmp_path, keep=2)
    for n in range(3):
        history.write(build_record({}, spider="s", job="default", job_args={}) | {"run_id": f"r{n}"})
    assert [p.stem for p in history.paths()] == ["r1", "r2"]


def test_two_runs_started_in_the_same_millisecond_both_stay_in_the_history(tmp_path):
    history = History(tmp_path)
    first, second = ({"format": 1, "run_id": "2026-12-03T17-43-11.142Z", "crawl": n} for n in (1, 2))
    history.write(first)
    path = history.write(second)
    assert path.name == "2026-12-03T17-43-11.143Z.json" and second["run_id"] == "2026-12-03T17-43-11.143Z"
    assert [run["crawl"] for run in history.runs()] == [1, 2]


def test_default_place_is_the_project_data_folder():
    assert history_folder("", "mitrade") == ROOT / ".scrapy" / "history" / "mitrade"
    assert history_folder("/x/%(name)s", "mitrade").as_posix() == "/x/mitrade"
    ignored = subprocess.run(["git", "check-ignore", "-q", ".scrapy/history/mitrade/x.json"], cwd=ROOT)
    assert ignored.returncode == 0, "the default history folder must be git-ignored"


# --- real crawls ------------------------------------------------------------------------------


def test_every_crawl_is_recorded(good_history):
    runs = History(good_history).runs()
    assert len(runs) == 3 and [r["verdict"] for r in runs] == ["learning"] * 3
    last = runs[-1]
    newest = default_registry().get("article").ref
    assert last["items"] == 6 and last["schema"] == newest and last["finish_reason"] == "finished"
    assert last["outcomes"] == {"exported": 6, "listing": 2, "skipped/http_404": 1, "skipped/removed": 1,
                                "skipped/discovery_missing": 3}
    assert last["coverage"]["image"] == 1.0 and last["coverage"]["related.url"] == 1.0
    assert last["duration_s"] > 0 and last["job"] == "default"
    assert last["outputs"]["feeds"][0].endswith("out.jsonl") and last["outputs"]["quarantine"]
    assert (good_history / f"{last['run_id']}.html").is_file() and (good_history / "index.html").is_file()


# The crawls below run ahead (``crawl_ahead``), in the background from the session's start, each
# over its own copy of the three good runs: ``job(folder, good_history) -> (result, that history)``.

def crawl_after_good_runs(folder: Path, good_history: Path, *args: str, images: bool = True
                          ) -> tuple[CrawlResult, Path]:
    history = copy_of_good_history(folder, good_history)
    return crawl_over(folder, history, *args, cassette=None if images else cassette_without_images(folder)), history


@crawl_ahead(partial(crawl_after_good_runs, images=False), "good_history")
def test_contract_a_crawl_whose_pages_lost_their_image_fails(crawled):
    result, history = crawled
    assert result.returncode != 0 and result.finish_reason == "failed_drift"
    drift = [line for line in result.log.splitlines() if "Drift:" in line]
    assert len(drift) == 1 and " ERROR: " in drift[0] and "image coverage 0.0% now, usual 100.0%" in drift[0]
    assert "median of the last 3 good runs" in drift[0]
    assert len(result.items) == 6  # still exported: the data is kept, the crawl is flagged
    failed = History(history).runs()[-1]
    assert failed["verdict"] == "fail" and failed["findings"][0]["metric"] == "coverage/image"


@crawl_ahead(crawl_after_good_runs, "good_history")
def test_the_same_crawl_again_is_ok(crawled):
    result, _ = crawled
    assert result.returncode == 0 and result.stats["broadsheet/monitor/verdict"] == "ok"
    assert "Drift:" not in result.log


def loosened_crawl(folder: Path, good_history: Path) -> tuple[CrawlResult, Path]:
    return crawl_after_good_runs(folder, good_history, "-s", 'MONITOR_RULES={"coverage/image": {"level": "warn"}}',
                                 "-s", "ALERT_WEBHOOK_URL=http://127.0.0.1:9/hook", images=False)


@crawl_ahead(loosened_crawl, "good_history")
def test_a_loosened_rule_warns_and_alerts_without_failing(crawled):
    result, _ = crawled
    assert result.returncode == 0 and result.finish_reason == "finished"
    assert "WARNING: Drift: image coverage 0.0% now" in result.log
    assert "Alert via ALERT_WEBHOOK_URL failed (the crawl is unaffected)" in result.log


@crawl_ahead(lambda folder, good_history: crawl_after_good_runs(folder, good_history, "-a", "max_pages=1"),
             "good_history")
def test_other_spider_arguments_are_another_job(crawled):
    result, _ = crawled
    assert result.returncode == 0 and result.stats["broadsheet/monitor/verdict"] == "learning"


@crawl_ahead(lambda folder: run_crawl(folder, "mitrade", "-s", "HISTORY_ENABLED=False"))
def test_history_can_be_switched_off(crawled):
    result = crawled
    assert result.returncode == 0 and not (result.out.parent / "history").exists()
    assert "broadsheet/monitor/verdict" not in result.stats


@crawl_ahead(partial(crawl_after_good_runs, images=False), "good_history")
def test_report_command_regenerates_and_compares(crawled):
    _, history = crawled
    for page in history.glob("*.html"):
        page.unlink()
    scrapy = [sys.executable, "-m", "scrapy", "report", "-s", f"HISTORY_URI={history}"]
    regenerated = forkserver.run([*scrapy, "mitrade"], cwd=ROOT)
    assert regenerated.returncode == 0, regenerated.stderr
    assert len(list(history.glob("*.html"))) == 5  # four runs and the index
    compared = forkserver.run([*scrapy, "mitrade", "--compare", "-2", "-1"], cwd=ROOT)
    lines = compared.stdout.splitlines()
    assert compared.returncode == 0 and any(line.split() == ["coverage/image", "100.0%", "0.0%"] for line in lines)
    unknown = forkserver.run([*scrapy, "mitrade", "--compare", "nope", "-1"], cwd=ROOT)
    assert unknown.returncode == 2 and "no run 'nope'" in unknown.stderr


def test_records_are_json_with_the_stats_a_reader_needs(good_history):
    data = json.loads(History(good_history).paths()[0].read_text())
    assert {"outcomes", "coverage", "sources", "quarantine", "duration_s", "schema", "items"} <= set(data)
