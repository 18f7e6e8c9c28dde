"""Run ``scrapy crawl`` in a child process over a cassette, and read back what it produced.

Scrapy's reactor runs once per process, so tools that crawl several times (the fixture command,
the tests) run each crawl as a user would: ``python -m scrapy crawl`` from the project root, a
process of its own (forked from a pre-imported interpreter, ``forkserver``).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from broadsheet import PROJECT_ROOT
from broadsheet.testing import forkserver

T = TypeVar("T")
_STARTED_WITH = threading.local()  # the environment the jobs of an Ahead's threads were started with


@dataclass
class CrawlResult:
    """What a crawl left behind: its items (from the feed, or from what a failed crawl kept beside
    it), its stats report, its exit code and its log."""

    items: list[dict]
    stats: dict
    finish_reason: str
    returncode: int
    log: str
    out: Path

    def by_url(self) -> dict[str, dict]:
        """Items keyed by URL."""
        return {item["url"]: item for item in self.items}


def run_crawl(workdir: Path, spider: str, *args: str, urls: list[str] | None = None,
              cassette: Path | None = None, output: str | None = "out.jsonl",
              timeout: float = 600) -> CrawlResult:
    """Crawl ``spider`` (``urls`` or its listing) over ``cassette`` into ``workdir``.

    ``output`` names the JSONL feed in ``workdir`` (None: none); ``args`` go to ``scrapy crawl``.
    The run history goes to ``workdir/history/`` (not the project's), unless ``args`` set
    ``HISTORY_URI``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / (output or "out.jsonl")
    report = workdir / "stats.json"
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"STATS_REPORT_URI={report}",
           "-s", "LOG_LEVEL=INFO", "-s", f"HISTORY_URI={workdir / 'history'}"]
    if output:
        cmd += ["-O", str(out)]
    if urls:
        cmd += ["-a", "urls=" + ",".join(urls)]
    if cassette is not None:
        cmd += ["-s", f"VCR_CASSETTE={cassette}"]
    cmd += list(args)
    kept_before = set(workdir.glob(f"{report.name}.failed-*"))
    proc = forkserver.run(cmd, cwd=PROJECT_ROOT, timeout=timeout, env=crawl_env())
    stats, reason = {}, ""
    # A failed crawl's stats report is kept beside the previous one, as stats.json.failed-<crawl id>.
    kept_report = sorted(set(workdir.glob(f"{report.name}.failed-*")) - kept_before)
    if kept_report:
        report = kept_report[0]
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        stats, reason = data["stats"], data["finish_reason"]
    # A failed crawl commits no feed: what it exported is kept beside, as out.jsonl.failed-<crawl id>.
    kept = out.with_name(f"{out.name}.failed-{stats.get('broadsheet/crawl_id')}")
    produced = kept if proc.returncode == 1 and kept.exists() else out
    items = []
    if output and produced.exists():
        items = [json.loads(line) for line in produced.read_text(encoding="utf-8").splitlines() if line.strip()]
    return CrawlResult(items, stats, reason, proc.returncode, proc.stderr, out)


def crawl_env() -> dict[str, str]:
    """A crawl's environment: this process's (in a job ``Ahead`` runs, the one it was started
    with: a test may change its own meanwhile), with Python's hash seed fixed."""
    return {**getattr(_STARTED_WITH, "env", os.environ), "PYTHONHASHSEED": "0"}


class Ahead(Generic[T]):
    """Independent jobs (each starting its own crawl process) run in the background, as many at
    once as the machine has cores, in the order they were started; ``ahead[key]`` waits for one's
    result (its exception is raised there). ``close`` drops the jobs not yet begun."""

    def __init__(self) -> None:
        env = dict(os.environ)
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="ahead",
                                        initializer=lambda: setattr(_STARTED_WITH, "env", env))
        self._futures: dict[Hashable, Future[T]] = {}

    def start(self, key: Hashable, job: Callable[[], T]) -> None:
        """Queue ``job`` under ``key``."""
        self._futures[key] = self._pool.submit(job)

    def same(self, key: Hashable, as_key: Hashable) -> None:
        """``key`` is the job already started as ``as_key``: its result, run once."""
        self._futures[key] = self._futures[as_key]

    def __contains__(self, key: Hashable) -> bool:
        return key in self._futures

    def __getitem__(self, key: Hashable) -> T:
        return self._futures[key].result()

    def close(self) -> None:
        """Wait for the running jobs; the queued ones never start."""
        self._pool.shutdown(wait=True, cancel_futures=True)
