"""Article pages read in worker processes: a crawl's extraction on more than one core.

Scrapy runs every callback in one thread, so a CPU-bound spider (parsing, the field sources, the
body extractors) uses one core however many the machine has. With ``EXTRACTION_WORKERS = N``
(0, the default, reads every page in the crawl's own process; ``auto``, one a core this process
may run on, ``worker_count``) this downloader middleware reads
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
- A worker that dies (killed, out of memory) is replaced, and the pages it had are read again, once,
  by workers started after its death (never by one killed with it whose end the crawl has not seen
  yet); a page whose second worker dies too fails as ``extraction_worker_died``.
- A page that cannot be sent to a worker, or whose reading cannot be sent back, is read in the
  crawl's process (a WARNING, once).
- Stats ``broadsheet/extraction/broken`` (how many times workers died),
  ``broadsheet/extraction/worker_cpu_seconds`` (the workers' CPU time, which the crawl's own
  process time leaves out) and ``broadsheet/extraction/worker_max_rss`` (bytes, the largest
  worker's peak resident memory, pages shared with the crawl's process included).

Workers are forked (Linux, macOS) and talk to the crawl through pipes its asyncio event loop reads
(``Worker``): ``ProcessPoolExecutor``'s feeder and manager threads cost the crawl's process about
1 ms a page. A platform without ``fork``, or a crawl on another Twisted reactor, reads pages in the
crawl's process, with a WARNING.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import logging
import os
import pickle
import resource
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request
from scrapy.statscollectors import StatsCollector

from broadsheet.cores import is_auto, usable_cores
from broadsheet.extensions.outcomes import RequestFailed
from broadsheet.extract.page import HINTS_META_KEY
from broadsheet.news.reading import READING, Reading
from broadsheet.state.stories import band_hashes, keep_bands

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)

STATS = "broadsheet/extraction"
ATTEMPTS = 2
"""Workers a page may see die under it before it fails as ``extraction_worker_died``."""
PIPE_SIZE = 1 << 20
"""Bytes a task pipe holds (Linux; ``/proc/sys/fs/pipe-max-size`` is 1 MiB by default): a page sent to a busy
worker waits in the pipe, not in the crawl's process."""

_spider: Any = None
"""The crawl's spider, in a worker: its fork-time copy."""


def _serve(spider: Spider, tasks: Connection, results: Connection, others: list[Connection]) -> None:
    """A worker's life: read each page sent on ``tasks``, send its outcome on ``results``, until the crawl
    closes ``tasks`` (or dies). ``others`` are the crawl's ends of the workers' pipes, closed here so that
    only the crawl holds them. The worker ignores Ctrl-C and counts its readings' stats apart."""
    global _spider
    for end in others:
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the crawl's graceful-shutdown handler
    spider.crawler.stats = StatsCollector(spider.crawler)
    _spider = spider
    while True:
        try:
            task = tasks.recv_bytes()
        except EOFError:
            return
        try:
            outcome = pickle.dumps(("read", *_read(*pickle.loads(task))), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - the crawl reads this page itself
            outcome = pickle.dumps(("error", repr(exc)))
        results.send_bytes(outcome)


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


class WorkerDied(Exception):
    """The worker reading a page ended (killed, out of memory) before sending it back; ``forks`` is how many
    workers had been started when its end was seen: the page is read again by a later one."""

    def __init__(self, forks: int):
        super().__init__(forks)
        self.forks = forks


class Worker:
    """One forked worker process: the pipe pages go to it by, the pipe their readings come back by (read
    by the crawl's event loop: no thread), and its pages: sent, oldest first, and waiting to be sent.

    The crawl's process never blocks on a full pipe: pages are sent while the bytes sent and not yet
    read back fit in the task pipe (a page larger than the pipe only to an idle worker, which takes it
    as it is written), the others wait here; so a worker blocked sending a reading back is always
    being read."""

    forks = 0
    """Workers started in this process so far; a worker's ``serial`` is the count before its own start."""

    def __init__(self, spider: Spider, loop: asyncio.AbstractEventLoop, others: list[Worker]):
        import multiprocessing  # here: a crawl without workers does not import it

        context = multiprocessing.get_context("fork")
        theirs, self.tasks = context.Pipe(duplex=False)
        self.results, mine = context.Pipe(duplex=False)
        self.capacity = pipe_size(self.tasks)
        ends = [end for worker in [*others, self] for end in (worker.tasks, worker.results)]
        self.process = context.Process(target=_serve, args=(spider, theirs, mine, ends), daemon=True,
                                       name="broadsheet-extraction")
        self.process.start()
        self.serial = Worker.forks
        Worker.forks += 1
        theirs.close()
        mine.close()
        self.loop = loop
        self.in_hand: collections.deque[tuple[asyncio.Future, int]] = collections.deque()
        self.waiting: collections.deque[tuple[asyncio.Future, bytes]] = collections.deque()
        self.unread = 0  # bytes sent whose readings have not come back
        self.alive = True
        loop.add_reader(self.results.fileno(), self.receive)

    @property
    def load(self) -> int:
        """Pages given to this worker and not read back yet."""
        return len(self.in_hand) + len(self.waiting)

    def read(self, task: bytes) -> asyncio.Future:
        """Take a page; the future of its outcome (``WorkerDied`` if the worker ends first)."""
        future = self.loop.create_future()
        self.waiting.append((future, task))
        self.send()
        return future

    def send(self) -> None:
        """Send the waiting pages that fit in the task pipe."""
        while self.alive and self.waiting and (not self.unread
                                               or self.unread + len(self.waiting[0][1]) <= self.capacity):
            future, task = self.waiting.popleft()
            self.in_hand.append((future, len(task)))
            self.unread += len(task)
            try:
                self.tasks.send_bytes(task)
            except OSError:  # the worker is gone
                self.end()

    def receive(self) -> None:
        """A reading came back (the event loop saw the pipe readable), or the worker ended."""
        try:
            outcome = self.results.recv_bytes()
        except (EOFError, OSError):
            self.end()
            return
        future, size = self.in_hand.popleft()
        self.unread -= size
        if not future.done():
            future.set_result(outcome)
        self.send()

    def end(self) -> None:
        """The worker is gone: its pages fail with ``WorkerDied``, its pipes close."""
        if not self.alive:
            return
        self.alive = False
        self.loop.remove_reader(self.results.fileno())
        self.tasks.close()
        self.results.close()
        for future in [*(f for f, _ in self.in_hand), *(f for f, _ in self.waiting)]:
            if not future.done():
                future.set_exception(WorkerDied(Worker.forks))
        self.in_hand.clear()
        self.waiting.clear()
        self.process.join(timeout=0)

    def stop(self) -> None:
        """Close the worker's task pipe (it ends when it reads that), wait for it, then ``end``."""
        if self.alive:
            self.tasks.close()
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()
        self.end()


def worker_count(value: object) -> int:
    """``EXTRACTION_WORKERS`` as a count: ``auto`` is one a core (``usable_cores``), none on one core (a worker
    there only adds the trip through its pipes), else the whole number given (Preflight has checked it).

    One a core, not one fewer: the crawl's process mostly waits on its workers. On 2 cores the 871-page corpus
    crawl took 34.6 s without workers, 31.5 with one, 25.8 with two (22.7 with three); the mitrade replay
    (1,000 pages) 3.9 s with one or two, 4.3 to 4.7 with three."""
    if is_auto(value):
        cores = usable_cores()
        return cores if cores > 1 else 0
    return int(value)  # a string as Python writes whole numbers, 1_000 included


def pipe_size(end: Connection) -> int:
    """The bytes ``end``'s pipe holds: raised to ``PIPE_SIZE`` where Linux lets it (else as it is, 64 KiB)."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            return fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        return fcntl.fcntl(end.fileno(), fcntl.F_GETPIPE_SZ)
    return 1 << 14  # what a pipe holds at least where fork is (macOS: 16 KiB, growing to 64)


class ExtractionWorkers:
    """Reads article pages in ``EXTRACTION_WORKERS`` forked worker processes."""

    def __init__(self, crawler: Crawler, workers: int):
        self.crawler = crawler
        self.workers = workers
        self.members: list[Worker] = []
        self.cpu: dict[int, float] = {}  # per worker pid: its CPU seconds at its latest reading
        self.peak = 0
        self.warned = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionWorkers:
        """Built when ``EXTRACTION_WORKERS`` comes to 1 or more (Preflight has checked it is a whole number or
        ``auto``)."""
        from scrapy.utils.reactor import is_asyncio_reactor_installed

        setting = crawler.settings.get("EXTRACTION_WORKERS", 0)
        workers = worker_count(setting)
        if workers < 1:
            raise NotConfigured(f"EXTRACTION_WORKERS={setting} gives no worker (this process may run on "
                                f"{usable_cores()} core(s)): article pages are read in the crawl's process")
        why = ("this platform cannot fork" if not hasattr(os, "fork")
               else "TWISTED_REACTOR is not the asyncio one" if not is_asyncio_reactor_installed() else None)
        if why:
            logger.warning("EXTRACTION_WORKERS=%(n)d: %(why)s; article pages are read in the crawl's process",
                           {"n": workers, "why": why})
            raise NotConfigured(why)
        return cls(crawler, workers)

    def spider_opened(self, spider: Spider) -> None:
        """Fork the workers now, while the crawl holds only what every page needs."""
        if not hasattr(spider, "read_article"):
            logger.warning("EXTRACTION_WORKERS: %(spider)s has no read_article (not a NewsSpider); its pages "
                           "are read in the crawl's process", {"spider": spider.name})
            return
        loop = asyncio.get_event_loop()
        for _ in range(self.workers):
            self.members.append(Worker(spider, loop, self.members))

    def worker(self, request: Request, after: int) -> Worker:
        """The live worker with the fewest pages in hand among those started ``after`` that many forks (a page
        read again: not a worker killed with the one that lost it, whose end neither its pipe nor ``waitpid``
        may show yet); a dead one replaced first (counted, logged), so the one that lost the page has a
        successor to choose."""
        for n, member in enumerate(self.members):
            if not member.alive:
                self.members[n] = Worker(self.crawler.spider, member.loop, [m for m in self.members if m.alive])
                self.crawler.stats.inc_value(f"{STATS}/broken")
                logger.warning("An extraction worker died (killed, or out of memory): a new one reads pages such "
                               "as %(url)s, and again those it had in hand", {"url": request.url})
        return min((member for member in self.members if member.serial >= after), key=lambda member: member.load)

    async def process_response(self, request: Request, response: Response) -> Response:
        """The response, carrying its page's ``Reading`` when a worker read it."""
        spider = self.crawler.spider
        if (not self.members or not isinstance(response, HtmlResponse) or not 200 <= response.status < 300
                or not spider.reads_article(request)):
            return response
        # the worker's copy of the request carries what the base reads from it (``Page.hints``), not Scrapy's keys
        meta = {HINTS_META_KEY: request.meta[HINTS_META_KEY]} if HINTS_META_KEY in request.meta else {}
        try:
            task = pickle.dumps((response.url, response.status, dict(response.headers), response.body,
                                 response.encoding, meta), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - cannot cross to a worker: read it here
            self.warn_once(response, exc)
            return response
        attempt, after = 1, 0
        while True:
            try:
                outcome = pickle.loads(await self.worker(request, after).read(task))
                break
            except WorkerDied as death:
                after = death.forks
                if attempt == ATTEMPTS:
                    raise RequestFailed("extraction_worker_died", "the extraction workers reading it died "
                                        f"{ATTEMPTS} times (killed, or out of memory)") from None
                attempt += 1
        if outcome[0] == "error":  # could not be read or sent back there: read it here
            self.warn_once(response, outcome[1])
            return response
        _, reading, bands, pid, cpu, peak = outcome
        if bands is not None:
            keep_bands(reading.article.body, bands)
        self.cpu[pid] = cpu
        self.peak = max(self.peak, peak)
        request.meta[READING] = reading
        return response

    def warn_once(self, response: Response, error: object) -> None:
        """One WARNING for pages read in the crawl's process because they could not cross."""
        if not self.warned:
            self.warned = True
            logger.warning("%(url)s could not be read in an extraction worker (%(error)s); pages like it are "
                           "read in the crawl's process", {"url": response.url, "error": error})

    def spider_closed(self, spider: Spider) -> None:
        """Stop the workers; their CPU time and peak memory into the stats."""
        for member in self.members:
            member.stop()
        self.members = []
        stats = self.crawler.stats
        stats.set_value(f"{STATS}/workers", self.workers)
        stats.set_value(f"{STATS}/worker_cpu_seconds", round(sum(self.cpu.values()), 3))
        stats.set_value(f"{STATS}/worker_max_rss", self.peak)
