"""Whether a crawl's outputs are committed: one rule for feeds, quarantine and datasets.

A crawl's outputs (feeds, the quarantine file, dataset parts, manifest and ``_SUCCESS``, the
coverage and stats reports) are
published only when the crawl succeeded: its finish reason is ``finished`` or a limit the user
set (``closespider_*``), and no write failed. A quality gate (``failed_*``), a write error
(``failed_write``) or an interruption (``shutdown``, Ctrl-C) leaves every previous output as it
was; what the crawl produced is kept beside it under a name that says so
(``out.jsonl.failed-<crawl id>``), and the log says where.

The order at close: the feeds (Scrapy's feed exporter), then the quarantine file and datasets
(``commit_after_feeds``), then the reports (``when_outputs_settled``), each judged when its turn
comes, so that a write failing at one step keeps back every later one.

The crawl's identity and state travel in its stats, so every component sees the same:
``broadsheet/crawl_id``, ``broadsheet/write/errors`` and the ``finish_reason`` Scrapy sets.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from broadsheet.storage.files import write_text_atomically

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FAILED_WRITE = "failed_write"  # "failed_*" reasons make `scrapy crawl` exit 1
FAILURE_PREFIX = "failed_"
INTERRUPTED = "shutdown"
CRAWL_ID = "broadsheet/crawl_id"
WRITE_ERRORS = "broadsheet/write/errors"
KEPT = "broadsheet/write/kept"


def crawl_id(crawler: Crawler) -> str:
    """This crawl's id (``20260205T101500Z-1a2b3c4d``), the same for every component."""
    value = crawler.stats.get_value(CRAWL_ID)
    if not value:
        value = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        crawler.stats.set_value(CRAWL_ID, value)
    return value


def write_failed(crawler: Crawler, target: object, error: BaseException, hint: str = "",
                 *, after_outputs: bool = False) -> None:
    """A write to ``target`` failed: say so in one line, and make the crawl fail with
    ``failed_write`` (exit 1), whether it is still running or already closing
    (``after_outputs``: a write after the outputs were settled, which stand)."""
    logger.error("Cannot write %(target)s: %(error)s%(hint)s; the crawl fails (failed_write)%(outputs)s",
                 {"target": target, "error": error, "hint": f" ({hint})" if hint else "",
                  "outputs": "" if after_outputs else " and commits no output"})
    crawler.stats.inc_value(WRITE_ERRORS)
    reason = crawler.stats.get_value("finish_reason")
    if reason is not None:  # closing: Scrapy has set the reason already
        if not str(reason).startswith(FAILURE_PREFIX):
            crawler.stats.set_value("finish_reason", FAILED_WRITE)
    elif crawler.engine is not None and crawler.engine.spider is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason=FAILED_WRITE))


def effective_reason(crawler: Crawler, reason: str | None = None) -> str:
    """The crawl's finish reason, ``failed_write`` when a write failed under another reason."""
    reason = str(reason or crawler.stats.get_value("finish_reason") or "")
    if crawler.stats.get_value(WRITE_ERRORS) and not reason.startswith(FAILURE_PREFIX):
        reason = FAILED_WRITE
        crawler.stats.set_value("finish_reason", reason)
    return reason


def succeeded(crawler: Crawler, reason: str | None = None) -> bool:
    """Whether the crawl's outputs may be committed (see the module's rule)."""
    reason = effective_reason(crawler, reason)
    return reason == "finished" or reason.startswith("closespider_")


def failed_name(path: Path, crawler: Crawler) -> Path:
    """Where a failed crawl's version of ``path`` is kept: ``<path>.failed-<crawl id>``."""
    return path.with_name(f"{path.name}.failed-{crawl_id(crawler)}")


def kept(crawler: Crawler, what: str, where: Path, reason: str) -> None:
    """Log and record that a failed crawl's ``what`` was kept at ``where``, not committed."""
    crawler.stats.set_value(KEPT, [*(crawler.stats.get_value(KEPT) or []), str(where)])
    logger.warning("Crawl %(reason)s: %(what)s not committed; what this crawl produced is kept in %(where)s",
                   {"reason": reason, "what": what, "where": where})


def keep_beside(crawler: Crawler, tmp: Path, path: Path, reason: str) -> None:
    """Move a failed crawl's finished file ``tmp`` (another folder too) to ``<path>.failed-<crawl
    id>`` beside ``path``, and say so (``kept``)."""
    where = failed_name(path, crawler)
    shutil.move(tmp, where)
    kept(crawler, str(path), where, reason)


_CLOSING: WeakKeyDictionary[Crawler, tuple[list[Callable[[], None]], list[Callable[[], None]]]] = WeakKeyDictionary()


def _closing(crawler: Crawler) -> tuple[list[Callable[[], None]], list[Callable[[], None]]]:
    """The crawl's handlers run once its feeds are settled: outputs first, then reports. Called at
    Scrapy's ``feed_exporter_closed`` (the feeds are committed or kept then), or at
    ``spider_closed`` for a crawl without feeds; connected by the first extension that asks, so
    after the crawl state's ``spider_closed`` (it prepares before anything is published).
    (``engine_stopped`` never comes to a crawl closed while it opens.)"""
    if crawler not in _CLOSING:
        outputs, reports = _CLOSING[crawler] = ([], [])

        def settle() -> None:
            for handler in (*outputs, *reports):
                try:
                    handler()
                except Exception:  # one output's bug must not keep the others from settling
                    logger.exception("Error settling %(handler)s", {"handler": getattr(handler, "__qualname__", "")})

        signal = signals.feed_exporter_closed if crawler.settings.getdict("FEEDS") else signals.spider_closed
        crawler.signals.connect(settle, signal=signal, weak=False)
    return _CLOSING[crawler]


def commit_after_feeds(crawler: Crawler, handler: Callable[[], None]) -> None:
    """Call ``handler`` at close once the feeds are committed or kept, to commit another output
    (the quarantine file, a dataset) by the same rule: a feed that fails to commit fails the crawl
    (``failed_write``), and the outputs committed after it are kept back too."""
    _closing(crawler)[0].append(handler)


def when_outputs_settled(crawler: Crawler, handler: Callable[[], None]) -> None:
    """Call ``handler`` at close once every output (feeds, quarantine, datasets) is committed or
    kept, so that a report written then knows whether any write failed."""
    _closing(crawler)[1].append(handler)


def commit_report(crawler: Crawler, path: Path, text: str, what: str, hint: str) -> None:
    """Write a report the crawl produced (coverage, stats) under the rule: over ``path`` when the
    crawl succeeded, else beside it as ``<path>.failed-<crawl id>`` (the previous report stays).
    A write that fails is ``write_failed`` (``hint`` says what to do)."""
    reason = effective_reason(crawler)
    target = path if succeeded(crawler, reason) else failed_name(path, crawler)
    try:
        write_text_atomically(target, text)
    except OSError as exc:
        write_failed(crawler, path, exc, hint)
        return
    if target != path:
        kept(crawler, what, target, reason)
