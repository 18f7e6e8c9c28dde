"""Article pages read in extraction workers (``EXTRACTION_WORKERS``): real crawls over the mitrade cassette give
the records, outcomes and stats of a crawl without workers, and a worker's death or a Ctrl-C loses no page."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, CrawlResult, crawl_ahead, mutated_cassette, run_crawl
from helpers.killpoint import kill_args

from broadsheet.middlewares.extraction import worker_count

ARTICLE = "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206"
OWN = ("broadsheet/extraction/", "broadsheet/crawl_id", "elapsed_time_seconds", "finish_time", "start_time",
       "memusage/", "responses_per_minute", "items_per_minute")
"""Stats that differ between any two crawls, or exist only with workers (Scrapy's per-minute rates are None
for a crawl shorter than a whole second, a number for a longer one)."""


def without_and_with_workers(folder: Path) -> tuple[CrawlResult, CrawlResult, CrawlResult]:
    """The listing crawl in the crawl's process, with two workers, and with ``auto`` (one a core)."""
    return (run_crawl(folder / "in_process", "mitrade"),
            run_crawl(folder / "workers", "mitrade", "-s", "EXTRACTION_WORKERS=2"),
            run_crawl(folder / "auto", "mitrade", "-s", "EXTRACTION_WORKERS=auto"))


def by_url(result: CrawlResult) -> list[dict]:
    return sorted(result.items, key=lambda item: item["url"])


def shared(stats: dict) -> dict:
    return {key: value for key, value in stats.items() if not key.startswith(OWN)}


@crawl_ahead(without_and_with_workers)
def test_workers_give_the_records_outcomes_and_stats_of_a_crawl_without(crawled):
    alone, workers, auto = crawled
    assert alone.returncode == workers.returncode == 0, workers.log[-2000:]
    assert len(workers.items) == 6
    assert by_url(workers) == by_url(alone)  # every field, the story keys and crawl times included
    assert shared(workers.stats) == shared(alone.stats)  # outcomes, field sources, layouts, log counts
    assert workers.stats["broadsheet/extraction/workers"] == 2
    assert workers.stats["broadsheet/extraction/worker_cpu_seconds"] > 0
    assert "broadsheet/extraction/workers" not in alone.stats
    assert auto.returncode == 0, auto.log[-2000:]
    assert by_url(auto) == by_url(alone)
    assert auto.stats.get("broadsheet/extraction/workers", 0) == worker_count("auto")  # none on one core


def page_larger_than_the_pipe(folder: Path) -> tuple[CrawlResult, CrawlResult]:
    """The listing crawl with one article padded to 3 MB (the task pipe holds 1 MiB), without and with a worker."""
    cassette = mutated_cassette(folder, ARTICLE, {"</body>": "<!--" + "padding " * 375_000 + "--></body>"})
    return (run_crawl(folder / "in_process", "mitrade", cassette=cassette),
            run_crawl(folder / "workers", "mitrade", "-s", "EXTRACTION_WORKERS=1", cassette=cassette))


@crawl_ahead(page_larger_than_the_pipe)
def test_a_page_larger_than_the_pipe_is_read_by_a_worker(crawled):
    alone, workers = crawled
    assert workers.returncode == 0, workers.log[-2000:]
    assert by_url(workers) == by_url(alone)
    assert len(workers.items) == 6
    assert "could not be read in an extraction worker" not in workers.log


def two_days(folder: Path, *args: str) -> list[CrawlResult]:
    """The recorded days 1 and 2 over one crawl state: discovery by feed and sitemaps, whose announced values
    (``request.meta``) the pages are read with, then revisions and removals."""
    days = FIXTURES / "mitrade" / "days"
    return [run_crawl(folder / f"day-{n}", "mitrade", "-s", f"CRAWL_STATE={folder / 'state'}", *args,
                      cassette=days / f"day-{n}.yaml") for n in (1, 2)]


def days_without_and_with_workers(folder: Path) -> tuple[list[CrawlResult], list[CrawlResult]]:
    return two_days(folder / "in_process"), two_days(folder / "workers", "-s", "EXTRACTION_WORKERS=1")


@crawl_ahead(days_without_and_with_workers)
def test_incremental_days_with_workers_export_the_same_new_and_revised_records(crawled):
    for alone, workers in zip(*crawled, strict=True):
        assert alone.returncode == workers.returncode == 0, workers.log[-2000:]
        assert by_url(workers) == by_url(alone)
        assert shared(workers.stats) == shared(alone.stats)
    assert [len(day.items) for day in crawled[1]] == [21, 10]


def killed_workers(folder: Path, signum: str) -> CrawlResult:
    """The listing crawl with two workers, sent ``signum`` when the first article's page is downloaded."""
    return run_crawl(folder, "mitrade", "-s", "EXTRACTION_WORKERS=2", *kill_args(f"workers:{ARTICLE}", signum))


@crawl_ahead(killed_workers)
@pytest.mark.parametrize("signum", ["SIGKILL"])
def test_dead_workers_are_replaced_and_their_pages_read_again(crawled, signum):
    result = crawled
    assert result.returncode == 0, result.log[-2000:]
    assert "broadsheet/pages/failed/extraction_worker_died" not in result.stats  # no retry went to a dying worker
    assert ARTICLE in {item["url"] for item in result.items}
    assert len(result.items) == 6, {key: n for key, n in result.stats.items() if key.startswith("broadsheet/pages")}
    assert result.stats["broadsheet/extraction/broken"] >= 1
    assert "An extraction worker died" in result.log


@crawl_ahead(killed_workers)
@pytest.mark.parametrize("signum", ["SIGINT"])
def test_workers_ignore_ctrl_c_sent_to_them(crawled, signum):
    result = crawled
    assert result.returncode == 0, result.log[-2000:]
    assert len(result.items) == 6
    assert "broadsheet/extraction/broken" not in result.stats
    assert "Traceback" not in result.log


def killed_crawl(folder: Path) -> tuple[CrawlResult, list[int]]:
    """The listing crawl with a worker, killed (SIGKILL) at its second item; then the processes still running
    its command line (a worker is a fork of the crawl), after a second to read their pipes' end."""
    result = run_crawl(folder, "mitrade", "-s", "EXTRACTION_WORKERS=1", *kill_args("item:2"),
                       timeout=120)  # a worker left running holds the crawl's output pipe: this times out
    time.sleep(1)
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if str(folder).encode() in cmdline.read_bytes():
                left.append(int(cmdline.parent.name))
    return result, left


@crawl_ahead(killed_crawl)
def test_a_killed_crawl_leaves_no_worker_running(crawled):
    result, left = crawled
    assert result.returncode == -9, result.log[-2000:]
    assert left == []
