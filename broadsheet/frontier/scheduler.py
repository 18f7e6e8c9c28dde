"""scrapy-redis's scheduler on the shared crawl's keys, with leased pops and Scrapy's fingerprints.

Used as is from scrapy-redis 0.9.1: ``Scheduler`` (open, the queue and dupefilter wiring),
``queue.PriorityQueue`` (a sorted set; length, request encoding) and ``RFPDupeFilter`` (a set of
fingerprints, its logging). Bridged here:

- the enqueue: the dupefilter's check and the queue's push, the same keys and layout, in one
  Redis call (``SharedCrawl.admit``) rather than two round trips per request;
- politeness: entries carry their site, and the pop takes the first request whose site has a
  free token across all workers (``politeness.py``), so no worker hoards requests it must wait for;
- leases: scrapy-redis removes a request from Redis when it pops it, so a worker that dies
  loses what it held; ``next_request`` instead moves it into the worker's ``active`` hash in one
  step (``SharedCrawl.lease``), and the request carries its lease id in ``meta``;
- the fingerprint: scrapy-redis hashes method, canonical URL and body itself; the dupefilter here
  uses the crawl's ``REQUEST_FINGERPRINTER_CLASS`` like Scrapy's own;
- the end of a crawl: a worker with an empty queue stays while other workers still hold
  requests (their pages may link new ones) or a worker whose heartbeat is late holds results it
  has not committed (they return to the queue if it is dead), and polls the queue every
  ``FRONTIER_POLL_INTERVAL`` seconds (Scrapy's engine polls every 5 s);
- persistence: keys are never flushed when a worker closes (``SCHEDULER_PERSIST``); the crawl
  ends for good when its queue is empty and no worker holds a request. A stopped crawl resumes
  when a worker starts again with the same ``CRAWL_ID``.

scrapy-redis's ``RedisSpider`` start path (``start_requests``, removed in Scrapy 2.16) is not
used: our spiders' ``start()`` yields the seed requests on every worker and the shared seen-set
lets only the first worker's copies into the queue.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from broadsheet.extensions.outcomes import PageOutcomes
from broadsheet.frontier.state import SharedCrawl
from broadsheet.storage.commit import FAILURE_PREFIX, effective_reason, when_outputs_settled
from broadsheet.table import table_committed

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

LEASE_META = "frontier_lease"
TOKEN_META = "frontier_site_token"
QUEUE_CLASS = "broadsheet.frontier.scheduler.SitePriorityQueue"
SERIALIZER = "scrapy_redis.picklecompat"  # request dicts (callbacks by name), as scrapy-redis stores them


def site_of(url: str) -> str:
    """The politeness unit: the URL's host and port."""
    return urlsplit(url).netloc


class SitePriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose entries start with the request's site, so that the
    lease (a Redis script) can skip sites that have no free token."""

    def _encode_request(self, request: Request) -> bytes:
        return site_of(request.url).encode() + b"\0" + super()._encode_request(request)

    def _decode_request(self, encoded_request: bytes) -> Request:
        return super()._decode_request(encoded_request.partition(b"\0")[2])


class SharedDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis seen-set, fingerprinting with the crawl's request fingerprinter."""

    def __init__(self, server, key: str, fingerprinter, debug: bool = False):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    def request_fingerprint(self, request: Request) -> str:
        """Scrapy's fingerprint of the request (``REQUEST_FINGERPRINTER_CLASS``), as hex."""
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Keep the seen-set: other workers still use it (scrapy-redis deletes it)."""


class SharedScheduler(Scheduler):
    """``SCHEDULER`` of a shared crawl (set by ``broadsheet.frontier.addon`` when ``REDIS_URL`` is)."""

    crawler: Crawler
    crawl: SharedCrawl
    outcomes: PageOutcomes

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        """Connect to ``REDIS_URL``; keys of the crawl ``CRAWL_ID`` (default: the spider's name)."""
        settings = crawler.settings
        crawl = SharedCrawl.from_settings(settings, crawler.spidercls.name)
        dupefilter = SharedDupeFilter(crawl.client, crawl.key("seen"), crawler.request_fingerprinter,
                                      debug=settings.getbool("DUPEFILTER_DEBUG"))
        instance = cls(server=crawl.client, persist=True, queue_key=crawl.key("requests"), queue_cls=QUEUE_CLASS,
                       dupefilter=dupefilter,
                       serializer=importlib.import_module(settings.get("SCHEDULER_SERIALIZER") or SERIALIZER))
        instance.stats = crawler.stats
        instance.crawler = crawler
        instance.crawl = crawl
        instance.outcomes = PageOutcomes.of(crawler)
        instance.poll_interval = settings.getfloat("FRONTIER_POLL_INTERVAL", 0.2)
        instance.committed = False
        instance._checked = 0.0
        crawler.signals.connect(instance.table_committed, signal=table_committed)
        when_outputs_settled(crawler, instance.leave)
        return instance

    def open(self, spider: Spider) -> None:
        """Join the crawl: announce this worker, take back dead workers' requests, start polling."""
        self.crawl.heartbeat()
        recovered = self.crawl.recover()
        super().open(spider)
        self.crawler.engine._SLOT_HEARTBEAT_INTERVAL = self.poll_interval  # bridge: the engine's poll period
        self.beat = task.LoopingCall(self._beat)
        self.beat.start(max(self.crawl.worker_timeout / 5, 0.1), now=False)
        logger.info("Worker %(worker)s joined shared crawl %(crawl)s: %(state)s, %(recovered)d requests recovered",
                    {"worker": self.crawl.worker, "crawl": self.crawl.prefix, "state": self.crawl.describe(),
                     "recovered": recovered})

    def _beat(self) -> None:
        self.crawl.heartbeat()

    def enqueue_request(self, request: Request) -> bool:
        """scrapy-redis's enqueue (seen-set, then queue) as one Redis call. A request derived from
        a leased one (a retry, a redirect) ends that lease: it is now in the queue itself. If it
        still carries its site token (a downloader middleware's ``process_request`` returned it
        instead of downloading the first), the token goes back: nothing is downloading with it."""
        lease = request.meta.pop(LEASE_META, None)
        if lease:
            self.crawl.finish(lease)
        token = request.meta.pop(TOKEN_META, None)
        if token:
            self.crawl.give_back(*token)
        if not self.crawl.admit(self.df.request_fingerprint(request), self.queue._encode_request(request),
                                -request.priority, request.dont_filter):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.outcomes.hand_over(request)  # whichever worker leases it accounts for its URL
        return True

    def next_request(self) -> Request | None:
        """Lease the queue's first request whose site may be fetched now (``politeness.py``)."""
        leased = self.crawl.lease()
        if leased is None:
            return None
        lease, site, data = leased
        request = super(SitePriorityQueue, self.queue)._decode_request(data)
        request.meta[LEASE_META] = lease
        request.meta[TOKEN_META] = (site, lease)  # the site's token, given back when the download ends
        self.outcomes.take_over(request)
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Requests in the queue, held by other workers (they may add more), or finished by a worker
        whose heartbeat is late and not committed (``SharedCrawl.others_pending``)."""
        if len(self.queue):
            return True
        now = time.monotonic()
        if now - self._checked > 1:  # dead workers' requests come back (at most once a second)
            self._checked = now
            recovered = self.crawl.recover()
            if recovered:
                self.stats.inc_value("frontier/recovered", recovered)
                logger.info("Worker %(worker)s recovered %(recovered)d requests of dead workers", {
                    "worker": self.crawl.worker, "recovered": recovered})
                return True
        return self.crawl.others_pending() > 0

    def close(self, reason: str) -> None:
        """Keep the shared queue and seen-set (the crawl goes on, or resumes later). The heartbeat
        goes on until ``leave``: this worker still holds its requests while its outputs commit."""

    def table_committed(self, rows: int) -> None:
        """The table holds this worker's records."""
        self.committed = True

    def leave(self) -> None:
        """Once every output is committed or kept: settle what this worker's outputs hold, give
        back to the queue what they do not (a failed crawl, a feed write failing too, publishes nothing,
        so its requests are fetched again by a worker or a resumed crawl)."""
        if not hasattr(self, "beat"):  # closed while opening: never joined
            return
        self.beat.stop()
        reason = effective_reason(self.crawler)
        needs_commit = bool(self.crawler.settings.get("TABLE_URI"))
        if reason.startswith(FAILURE_PREFIX) or (needs_commit and not self.committed):
            returned = self.crawl.release()
        else:
            returned = self.crawl.release_active()
            self.crawl.settle()
        self.crawl.leave()
        logger.info("Worker %(worker)s left shared crawl %(crawl)s (%(reason)s): %(returned)d requests returned "
                    "to the queue; %(state)s", {"worker": self.crawl.worker, "crawl": self.crawl.prefix,
                                                 "reason": reason, "returned": returned,
                                                 "state": self.crawl.describe()})
