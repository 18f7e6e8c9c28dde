"""The shared frontier (REDIS_URL): real workers (``scrapy crawl`` subprocesses) on a real
redis-server, over the recorded capture, committing to one Iceberg table."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from conftest import ROOT
from helpers.killpoint import kill_args

from broadsheet.table.iceberg import open_catalog
from broadsheet.testing import forkserver
from schemas.registry import default_registry

pytestmark = [pytest.mark.crawl, pytest.mark.block_network(allowed_hosts=["127.0.0.1"])]  # redis-server on loopback

LIVE_STORIES = 6  # the capture's live stories (two removed or missing pages are skipped)


def worker(tmp_path: Path, name: str, redis_url: str, *args: str) -> forkserver.ForkedProcess | subprocess.Popen:
    """Start ``scrapy crawl mitrade -s REDIS_URL=... -s TABLE_URI=... -O <name>.jsonl``."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "mitrade", "-s", f"REDIS_URL={redis_url}",
           "-s", f"TABLE_URI={tmp_path / 'table'}", "-O", str(tmp_path / f"{name}.jsonl"),
           "-s", f"STATS_REPORT_URI={tmp_path / name}.stats.json", *args]
    log = (tmp_path / f"{name}.log").open("w")
    return forkserver.popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONHASHSEED": "0"})


def table_rows(tmp_path: Path) -> list[dict]:
    return open_catalog(str(tmp_path / "table")).load_table("broadsheet.articles").scan().to_arrow().to_pylist()


def stats(tmp_path: Path, name: str) -> dict:
    """The worker's stats report (a stopped crawl's is kept aside as ``<report>.failed-<crawl id>``)."""
    (report,) = tmp_path.glob(f"{name}.stats.json*")
    return json.loads(report.read_text())["stats"]


def log(tmp_path: Path, name: str) -> str:
    return (tmp_path / f"{name}.log").read_text()


def assert_each_story_once(tmp_path: Path) -> None:
    rows = table_rows(tmp_path)
    stories = [(r["site"], r["canonical_url"]) for r in rows]
    assert len(stories) == LIVE_STORIES
    assert len(set(stories)) == LIVE_STORIES


def test_two_workers_export_each_live_story_once(tmp_path, redis_url):
    workers = [worker(tmp_path, f"w{i}", redis_url) for i in (1, 2)]
    assert [w.wait(120) for w in workers] == [0, 0], log(tmp_path, "w1")[-3000:] + log(tmp_path, "w2")[-3000:]
    assert_each_story_once(tmp_path)
    exported = [json.loads(line) for i in (1, 2) for line in (tmp_path / f"w{i}.jsonl").read_text().splitlines()]
    assert sorted(r["url"] for r in exported) == sorted(r["url"] for r in table_rows(tmp_path))
    # Each URL was fetched once: what the workers took from the queue is what the seen-set holds.
    taken = sum(stats(tmp_path, f"w{i}").get("scheduler/dequeued/redis", 0) for i in (1, 2))
    client = redis.Redis.from_url(redis_url)
    assert taken == client.scard("broadsheet:mitrade:seen")
    assert client.zcard("broadsheet:mitrade:requests") == 0
    # The listing's stories were requested as soon as it was read (DISCOVERY_PLAN_EACH_DOCUMENT), not
    # when its worker went idle: by then each worker's final plan had nothing left.
    assert sum(stats(tmp_path, f"w{i}").get("broadsheet/discovery/planned/new", 0) for i in (1, 2)) >= LIVE_STORIES
    for i in (1, 2):
        assert re.findall(r"Discovery done: (\d+) article pages", log(tmp_path, f"w{i}")) == ["0"]
    # Every commit says which crawl, spider and schema it holds.
    table = open_catalog(str(tmp_path / "table")).load_table("broadsheet.articles")
    for snapshot in table.snapshots():
        assert snapshot.summary.additional_properties["broadsheet.spider"] == "mitrade"
        assert snapshot.summary.additional_properties["broadsheet.schema"] == default_registry().get("article").ref


def test_a_killed_workers_requests_go_back_to_the_queue(tmp_path, redis_url):
    slow = ("-s", "DOWNLOAD_DELAY=0.7", "-s", "FRONTIER_WORKER_TIMEOUT=2")  # one request per 0.7 s, all workers
    doomed = worker(tmp_path, "doomed", redis_url, *slow)
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 60
    while client.scard("broadsheet:mitrade:seen") < 5:  # it is in the middle of the crawl
        assert time.monotonic() < deadline and doomed.poll() is None, log(tmp_path, "doomed")[-3000:]
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    survivor = worker(tmp_path, "survivor", redis_url)
    assert survivor.wait(120) == 0, log(tmp_path, "survivor")[-3000:]
    assert re.search(r"\b[1-9]\d* requests recovered|recovered [1-9]\d* requests", log(tmp_path, "survivor"))
    assert_each_story_once(tmp_path)


def test_a_stopped_crawl_resumes(tmp_path, redis_url):
    # Stops early, gracefully: after robots.txt, the two listing pages and a few of the article
    # pages they planned, one at a time so that the rest is still queued.
    first = worker(tmp_path, "first", redis_url, "-s", "CLOSESPIDER_PAGECOUNT=6", "-s", "CONCURRENT_REQUESTS=1")
    assert first.wait(120) == 0, log(tmp_path, "first")[-3000:]
    client = redis.Redis.from_url(redis_url)
    assert client.zcard("broadsheet:mitrade:requests") > 0  # what is left stays queued
    resumed = worker(tmp_path, "resumed", redis_url)
    assert resumed.wait(120) == 0, log(tmp_path, "resumed")[-3000:]
    assert_each_story_once(tmp_path)
    assert client.zcard("broadsheet:mitrade:requests") == 0


def test_ctrl_c_stops_a_worker_and_the_same_command_resumes(tmp_path, redis_url):
    # Ctrl-C once two records are exported, one request at a time: more are to come
    first = worker(tmp_path, "first", redis_url, *kill_args("item:2", "SIGINT"), "-s", "CONCURRENT_REQUESTS=1")
    first.wait(120)
    client = redis.Redis.from_url(redis_url)
    stopped = log(tmp_path, "first")
    assert "(shutdown)" in stopped and client.zcard("broadsheet:mitrade:requests") > 0, stopped[-3000:]
    returned = int(re.search(r"\(shutdown\): (\d+) requests returned to the queue", stopped).group(1))
    assert len(table_rows(tmp_path)) >= 2  # what it finished is committed to the shared table
    assert not (tmp_path / "first.jsonl").exists()  # its own partial feed is kept aside, not published
    resumed = worker(tmp_path, "resumed", redis_url)
    assert resumed.wait(120) == 0, log(tmp_path, "resumed")[-3000:]
    assert_each_story_once(tmp_path)
    # Nothing fetched twice but what was in flight at the stop (its lease went back to the queue).
    taken = sum(stats(tmp_path, name).get("scheduler/dequeued/redis", 0) for name in ("first", "resumed"))
    assert taken == client.scard("broadsheet:mitrade:seen") + returned


def test_a_worker_whose_feed_fails_to_commit_commits_nothing_and_gives_its_requests_back(tmp_path, redis_url):
    # Its -O feed's rename fails at close: the crawl fails (failed_write), so the table gets none
    # of its rows and every request it finished goes back to the queue for the next worker.
    (tmp_path / "broken.jsonl").mkdir()
    broken = worker(tmp_path, "broken", redis_url)
    assert broken.wait(120) == 1, log(tmp_path, "broken")[-3000:]
    assert "(failed_write)" in log(tmp_path, "broken") and not table_rows(tmp_path)
    client = redis.Redis.from_url(redis_url)
    assert client.zcard("broadsheet:mitrade:requests") > 0
    again = worker(tmp_path, "again", redis_url)
    assert again.wait(120) == 0, log(tmp_path, "again")[-3000:]
    assert_each_story_once(tmp_path)


def test_a_worker_killed_after_exporting_stories_it_never_committed_loses_none(tmp_path, redis_url):
    # Killed at its second exported record: its claims on those stories were never committed to the table.
    doomed = worker(tmp_path, "doomed", redis_url, "-s", "FRONTIER_WORKER_TIMEOUT=2",
                    *kill_args("item:2"))
    assert doomed.wait(120) == -signal.SIGKILL, log(tmp_path, "doomed")[-3000:]
    survivor = worker(tmp_path, "survivor", redis_url)
    assert survivor.wait(120) == 0, log(tmp_path, "survivor")[-3000:]
    assert re.search(r"\b[1-9]\d* requests recovered|recovered [1-9]\d* requests", log(tmp_path, "survivor"))
    assert_each_story_once(tmp_path)
