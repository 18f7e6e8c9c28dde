"""Article pages read in worker processes: a crawl's extraction on more than one core.

Scrapy runs every callback in one thread, so a CPU-bound spider (parsing, the field sources, the
body extractors) uses one core however many the machine has. With ``EXTRACTION_WORKERS = N``
(0, the default, reads every page in the crawl's own process) this downloader middleware reads
each article page (a 2xx HTML response bound for ``read_article``, see
``NewsSpider.reads_article``) in one of N worker processes forked from the crawl when the spider
opens, and hands the finished ``Reading`` to the page's callback in ``request.meta``: the item, or
why the page is skipped or failed, and the stats the reading counted, which join the crawl's.
Scheduling, pipelines, outputs and the crawl state stay in the crawl's process, so the records,
outcomes and stats are those of a crawl without workers, but for order: pages finish in another
order, so of two pages of one article (one canonical URL) the de-duplication may keep the other.
A worker also signs each item's body for the story key (``broadsheet.state.stories.keep_bands``),
the pipelines' costliest step.

- A worker ignores Ctrl-C: the crawl finishes the pages it has, as without workers.
- A worker that dies (killed, out of memory) breaks the pages it and the others had in hand:
  each is read again by new workers, once; a page whose second reading breaks them too fails
  as ``extraction_worker_died``.
- A page that cannot be sent to a worker, or whose reading cannot be sent back, is read in the
  crawl's process (a WARNING, once).
- Stats ``broadsheet/extraction/broken`` (how many times workers died),
  ``broadsheet/extraction/worker_cpu_seconds`` (the workers' CPU time, which the crawl's own
  process time leaves out) and ``broadsheet/extraction/worker_max_rss`` (bytes, the largest
  worker's peak resident memory, pages shared with the crawl's process included).

Workers are forked (Linux, macOS): a platform without ``fork`` reads pages in the crawl's
process, with a WARNING.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request
from scrapy.statscollectors import StatsCollector

from broadsheet.extensions.outcomes import RequestFailed
from broadsheet.news.reading import READING, Reading
from broadsheet.state.stories import band_hashes, keep_bands

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)

STATS = "broadsheet/extraction"
CARRIED_META = "broadsheet_"
"""Prefix of the ``request.meta`` keys a worker's copy of the request carries (what the base reads
from the request, such as a feed's announced values); Scrapy's own keys stay behind."""
ATTEMPTS = 2

_spider: Any = None
"""The crawl's spider, in a worker: its fork-time copy."""


def _start_worker(spider: Spider) -> None:
    """In a new worker: ignore Ctrl-C, count the readings' stats apart, keep the spider."""
    global _spider
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the crawl's graceful-shutdown handler
    spider.crawler.stats = StatsCollector(spider.crawler)
    _spider = spider


def _read(url: str, status: int, headers: dict, body: bytes, encoding: str, meta: dict[str, Any],
          ) -> tuple[Reading, list[int] | None, int, float, int]:
    """In a worker: the page's reading with the stats it counted, its body's story band keys (the
    pipelines' costliest step, ``broadsheet.state.stories``), and the worker's pid, CPU seconds
    and peak resident memory (bytes) so far."""
    stats = _spider.crawler.stats
    stats.clear_stats()
    response = HtmlResponse(url=url, status=status, headers=headers, body=body, encoding=encoding,
                            request=Request(url, meta=meta))
    reading = _spider.read_article(response)
    reading.stats = dict(stats.get_stats())
    body = getattr(reading.article, "body", None)
    bands = band_hashes(body) if body else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return reading, bands, os.getpid(), time.process_time(), peak


class ExtractionWorkers:
    """Reads article pages in ``EXTRACTION_WORKERS`` forked worker processes."""

    def __init__(self, crawler: Crawler, workers: int):
        self.crawler = crawler
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.cpu: dict[int, float] = {}  # per worker pid: its CPU seconds at its latest reading
        self.peak = 0
        self.warned = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionWorkers:
        """Built when ``EXTRACTION_WORKERS`` is 1 or more (Preflight has checked it is a whole number)."""
        workers = crawler.settings.getint("EXTRACTION_WORKERS", 0)
        if workers < 1:
            raise NotConfigured("EXTRACTION_WORKERS is 0: article pages are read in the crawl's process")
        import multiprocessing  # here: a crawl without workers does not import it

        if "fork" not in multiprocessing.get_all_start_methods():
            logger.warning("EXTRACTION_WORKERS=%(n)d: this platform cannot fork; article pages are read in "
                           "the crawl's process", {"n": workers})
            raise NotConfigured("no fork on this platform")
        return cls(crawler, workers)

    def spider_opened(self, spider: Spider) -> None:
        """Fork the workers now, while the crawl holds only what every page needs."""
        if not hasattr(spider, "read_article"):
            logger.warning("EXTRACTION_WORKERS: %(spider)s has no read_article (not a NewsSpider); its pages "
                           "are read in the crawl's process", {"spider": spider.name})
            return
        self.pool = self.new_pool(spider)

    def new_pool(self, spider: Spider) -> ProcessPoolExecutor:
        """Workers forked from this process, started at once (not at the first page)."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_start_worker, initargs=(spider,))
        pool.submit(int)  # a fork pool starts all its workers with its first task
        return pool

    async def process_response(self, request: Request, response: Response) -> Response:
        """The response, carrying its page's ``Reading`` when a worker read it."""
        from concurrent.futures.process import BrokenProcessPool

        spider = self.crawler.spider
        if (self.pool is None or not isinstance(response, HtmlResponse) or not 200 <= response.status < 300
                or not spider.reads_article(request)):
            return response
        meta = {key: value for key, value in request.meta.items() if key.startswith(CARRIED_META)}
        for attempt in range(1, ATTEMPTS + 1):
            pool = self.pool
            try:
                reading, bands, pid, cpu, peak = await asyncio.wrap_future(pool.submit(
                    _read, response.url, response.status, dict(response.headers), response.body,
                    response.encoding, meta))
            except BrokenProcessPool:
                if pool is self.pool:  # the first page to see it replaces the pool
                    self.replace_pool(spider, request)
                if attempt == ATTEMPTS:
                    raise RequestFailed("extraction_worker_died", "the extraction workers reading it died "
                                        f"{ATTEMPTS} times (killed, or out of memory)") from None
                continue
            except Exception as exc:  # noqa: BLE001 - cannot cross to or from a worker: read it here
                self.warn_once(response, exc)
                return response
            if bands is not None:
                keep_bands(reading.article.body, bands)
            self.cpu[pid] = cpu
            self.peak = max(self.peak, peak)
            request.meta[READING] = reading
            return response
        return response  # unreachable: the last attempt returns or raises

    def replace_pool(self, spider: Spider, request: Request) -> None:
        """New workers for broken ones, counted (``broadsheet/extraction/broken``) and logged."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self.new_pool(spider)
        self.crawler.stats.inc_value(f"{STATS}/broken")
        logger.warning("An extraction worker died (killed, or out of memory) while pages such as %(url)s were in "
                       "hand: they are read again by new workers", {"url": request.url})

    def warn_once(self, response: Response, exc: Exception) -> None:
        """One WARNING for pages read in the crawl's process because they could not cross."""
        if not self.warned:
            self.warned = True
            logger.warning("%(url)s could not be read in an extraction worker (%(error)s); pages like it are "
                           "read in the crawl's process", {"url": response.url, "error": repr(exc)})

    def spider_closed(self, spider: Spider) -> None:
        """Stop the workers; their CPU time and peak memory into the stats."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        stats = self.crawler.stats
        stats.set_value(f"{STATS}/workers", self.workers)
        stats.set_value(f"{STATS}/worker_cpu_seconds", round(sum(self.cpu.values()), 3))
        stats.set_value(f"{STATS}/worker_max_rss", self.peak)
