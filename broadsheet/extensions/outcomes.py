"""Page outcomes: every requested URL ends in exactly one outcome, counted and summed up at close.

A URL is *requested* when the spider's request for it is scheduled (stat ``broadsheet/requested``);
in a shared crawl (``REDIS_URL``), when this worker leases it from the shared queue (``hand_over``,
``take_over``): the worker that fetches a page accounts for it.
The redirects and retries it leads to keep its key, the first URL of its redirect chain, so one
requested URL has one outcome however many downloads it took. The outcomes, stats under
``broadsheet/pages/``, partition the requested URLs (they sum to ``broadsheet/requested``):

- ``exported``: the page's item passed every pipeline into the feeds;
- ``quarantined``: its item was invalid and went to the quarantine file, with its errors;
- ``listing``: a listing page, read for the links it holds;
- ``skipped/<reason>``: a page that is not an article for this crawl: ``removed``, ``not_html``,
  ``http_404`` and ``http_410`` (gone), ``duplicate_locale``, ``robots``, ``offsite``,
  ``redirect_loop``, ``too_many_redirects`` (``REDIRECT_MAX_TIMES``), ``redirect_duplicate``
  (redirected to a page the crawl already fetched),
  ``duplicate`` (already fetched as another URL's redirect);
- ``failed/<reason>``: a page that exists but could not be turned into a record: ``http_<status>``
  (5xx after retries, 403, ...), ``not_in_cassette``, ``too_large`` (``DOWNLOAD_MAXSIZE``),
  ``timeout``, ``dns_error``, ``undecodable``, ``extraction_<error>``, ``pipeline_<error>``, and
  ``unfinished`` for a page still pending when the crawl closed early.

Each skip is logged at INFO and each failure at ERROR, with the URL and the reason; the close logs
the partition and the total in one line. Components report outcomes through ``record`` (or by
raising ``ItemSkipped``, ``ItemQuarantined`` from a pipeline and ``RequestFailed`` from a downloader
middleware); request errbacks hand their failure to ``failure``.

``FAILURE_MAX_SHARE`` (default 0.1): the share of requested URLs that may fail. Above it the crawl
closes with ``failed_failure_share``; a crawl where pages failed and none gave a record closes with
``failed_all_pages``. ``scrapy crawl`` exits 1 on both.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import TYPE_CHECKING, ClassVar

from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, DownloadCancelledError, DropItem, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from vcr.errors import CannotOverwriteExistingCassetteException

from broadsheet.extensions.gates import connect_gate

if TYPE_CHECKING:
    from typing import Any

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

EXPORTED, QUARANTINED, LISTING, SKIPPED, FAILED = "exported", "quarantined", "listing", "skipped", "failed"
KINDS = (EXPORTED, QUARANTINED, LISTING, SKIPPED, FAILED)
PAGES = "broadsheet/pages"
REQUESTED = "broadsheet/requested"
FAILED_FAILURE_SHARE = "failed_failure_share"  # "failed_*" reasons make `scrapy crawl` exit 1
FAILED_ALL_PAGES = "failed_all_pages"
GONE = (404, 410)  # the page is not there any more: a skip; any other error status is a failure
IGNORED = (  # IgnoreRequest messages of Scrapy's middlewares -> skip reason
    ("Forbidden by robots.txt", "robots"),
    ("max redirections reached", "too_many_redirects"),
    ("Filtered offsite request", "offsite"),
)
FAILED_BY_ERROR = {
    CannotOverwriteExistingCassetteException: "not_in_cassette",
}


class OutcomeError(Exception):
    """An exception that says which outcome it means for its page (``kind`` and ``reason``)."""

    kind: ClassVar[str]

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class ItemOutcome(OutcomeError, DropItem):
    """A pipeline's verdict on an item; Scrapy's own "Dropped" line (with the whole item) goes to
    DEBUG, since the outcome's line says it."""

    def __init__(self, reason: str, message: str):
        super().__init__(reason, message)
        self.log_level = "DEBUG"


class ItemSkipped(ItemOutcome):
    """Raised by a pipeline: the item is dropped and its page skipped with ``reason``."""

    kind = SKIPPED


class ItemQuarantined(ItemOutcome):
    """Raised by a pipeline: the item went to quarantine (the reasons are in the quarantine file)."""

    kind = QUARANTINED

    def __init__(self, message: str):
        super().__init__("", message)


class RequestFailed(OutcomeError, IgnoreRequest):
    """Raised by a downloader middleware: the page failed with ``reason`` (Scrapy does not log it
    again, the outcome's own line says it)."""

    kind = FAILED


def page_key(request: Request) -> str:
    """The requested URL a request belongs to: the first URL of its redirect chain."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def snake(name: str) -> str:
    """``CannotResolveHostError`` -> ``cannot_resolve_host_error``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def classify(failure: Failure) -> tuple[str, str]:
    """The outcome (kind, reason) a request's failure means."""
    error = failure.value
    if isinstance(error, OutcomeError):
        return error.kind, error.reason
    if isinstance(error, HttpError):
        status = error.response.status
        return (SKIPPED if status in GONE else FAILED), f"http_{status}"
    if isinstance(error, IgnoreRequest):
        message = str(error)
        return SKIPPED, next((reason for text, reason in IGNORED if text in message), "ignored")
    if isinstance(error, DownloadCancelledError) and "max size" in str(error):
        return FAILED, "too_large"
    for cls, reason in FAILED_BY_ERROR.items():
        if isinstance(error, cls):
            return FAILED, reason
    return FAILED, snake(type(error).__name__).removesuffix("_error") or "error"


class PageOutcomes:
    """Owns the partition of requested URLs into outcomes; enforces ``FAILURE_MAX_SHARE``."""

    def __init__(self, crawler: Crawler, max_share: float):
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_share = max_share
        self.pages: dict[str, str | None] = {}  # key -> its outcome's stat ("skipped/robots"), None while open
        self.counts: Counter[str] = Counter()  # per kind
        self._opened_by: Request | None = None  # the request whose scheduling just opened a key

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageOutcomes:
        """Reads ``FAILURE_MAX_SHARE`` (checked by the preflight before any component exists)."""
        if not crawler.settings.getbool("PAGE_OUTCOMES_ENABLED", True):
            raise NotConfigured("PAGE_OUTCOMES_ENABLED is off: pages are not accounted for")
        extension = cls(crawler, crawler.settings.getfloat("FAILURE_MAX_SHARE", 0.1))
        for handler, signal in (
            (extension.request_scheduled, signals.request_scheduled),
            (extension.request_dropped, signals.request_dropped),
            (extension.item_scraped, signals.item_scraped),
            (extension.item_dropped, signals.item_dropped),
            (extension.item_error, signals.item_error),
            (extension.spider_error, signals.spider_error),
            (extension.spider_closed, signals.spider_closed),
        ):
            crawler.signals.connect(handler, signal=signal)
        connect_gate(crawler, extension.spider_idle)
        return extension

    @staticmethod
    def of(crawler: Crawler) -> PageOutcomes:
        """The crawl's instance; an error naming the setting when it is not enabled."""
        extension = crawler.get_extension(PageOutcomes)
        if extension is None:
            raise RuntimeError("broadsheet.extensions.outcomes.PageOutcomes is not in EXTENSIONS (or "
                               "PAGE_OUTCOMES_ENABLED is off): it accounts for every page of the crawl")
        return extension

    # --- the partition -----------------------------------------------------------------------

    def _open(self, key: str) -> bool:
        if key in self.pages:
            return False
        self.pages[key] = None
        self.stats.inc_value(REQUESTED)
        return True

    def record(self, page: Request | Response | None, kind: str, reason: str = "", message: str = "") -> None:
        """Account for the page ``page`` (its request or response) belongs to: the first outcome
        of a requested URL stands, later ones are logged at DEBUG and not counted."""
        request = page if isinstance(page, Request) or page is None else page.request
        if request is None:
            logger.debug("Outcome %(kind)s/%(reason)s for no request", {"kind": kind, "reason": reason})
            return
        self._settle(page_key(request), request.url, kind, reason, message)

    def _settle(self, key: str, url: str, kind: str, reason: str, message: str, log: bool = True) -> None:
        self._open(key)
        stat = f"{kind}/{reason}" if reason else kind
        if self.pages[key] is not None:
            logger.debug("%(url)s already ended as %(was)s, not %(now)s",
                         {"url": key, "was": self.pages[key], "now": stat})
            return
        self.pages[key] = stat
        self.counts[kind] += 1
        self.stats.inc_value(f"{PAGES}/{stat}")
        where = f" (at {url})" if url != key else ""
        if not log:
            return
        if kind == SKIPPED:
            logger.info("Skipped %(url)s%(where)s: %(reason)s", {"url": key, "where": where, "reason": reason})
        elif kind == FAILED:
            logger.error("Failed %(url)s%(where)s: %(reason)s: %(message)s",
                         {"url": key, "where": where, "reason": reason, "message": message})

    def hand_over(self, request: Request) -> None:
        """The request went to a shared queue, where any worker may take it: this one no longer
        accounts for its URL, unless the URL already has its outcome here."""
        key = page_key(request)
        if key in self.pages and self.pages[key] is None:
            del self.pages[key]
            self.stats.inc_value(REQUESTED, -1)

    def take_over(self, request: Request) -> None:
        """This worker took the request from a shared queue: its URL is requested here."""
        self._open(page_key(request))

    def failure(self, failure: Failure) -> None:
        """Account for a request's failure (an errback's argument)."""
        kind, reason = classify(failure)
        self.record(failure.request, kind, reason, failure.getErrorMessage())

    # --- signals -------------------------------------------------------------------------------

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """A requested URL is opened when its first request is scheduled."""
        self._opened_by = request if self._open(page_key(request)) else None

    def request_dropped(self, request: Request, spider: Spider) -> None:
        """The duplicate filter refused a request: a redirect back into its own chain is a loop,
        a redirect to another fetched page a duplicate; a repeated request is no new URL."""
        redirects = request.meta.get("redirect_urls")
        if redirects:
            looped = request.url in redirects
            self.record(request, SKIPPED, "redirect_loop" if looped else "redirect_duplicate")
        elif self._opened_by is request:  # new URL, already fetched as another URL's redirect
            self.record(request, SKIPPED, "duplicate")

    def item_scraped(self, item: Any, response: Response | None, spider: Spider) -> None:
        """The page's item reached the feeds."""
        self.record(response, EXPORTED)

    def item_dropped(self, item: Any, response: Response | None, exception: BaseException, spider: Spider) -> None:
        """A pipeline dropped the page's item: quarantined or skipped as the pipeline says."""
        if isinstance(exception, OutcomeError):
            self.record(response, exception.kind, exception.reason)
        else:
            self.record(response, SKIPPED, "dropped")

    def item_error(self, item: Any, response: Response | None, spider: Spider, failure: Failure) -> None:
        """A pipeline failed on the page's item."""
        self.record(response, FAILED, f"pipeline_{failure.type.__name__}", failure.getErrorMessage())

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        """A spider callback raised."""
        self.record(response, FAILED, f"spider_{failure.type.__name__}", failure.getErrorMessage())

    # --- the gate and the summary ----------------------------------------------------------------

    def failure_reason(self) -> str | None:
        """The ``failed_*`` close reason the failures call for, or None."""
        failed, requested = self.counts[FAILED], len(self.pages)
        if failed and not self.counts[EXPORTED] + self.counts[QUARANTINED]:
            return FAILED_ALL_PAGES
        if requested and failed / requested > self.max_share:
            return FAILED_FAILURE_SHARE
        return None

    def spider_idle(self, spider: Spider) -> None:
        """Before the crawl finishes, fail it when too many pages failed."""
        reason = self.failure_reason()
        if reason:
            logger.error("%(failed)d of %(requested)d requested URLs failed (FAILURE_MAX_SHARE=%(max)s"
                         "%(none)s): the crawl fails",
                         {"failed": self.counts[FAILED], "requested": len(self.pages), "max": self.max_share,
                          "none": ", and no page gave a record" if reason == FAILED_ALL_PAGES else ""})
            raise CloseSpider(reason)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the URLs still open (``unfinished``, one line for all), then log the partition."""
        unfinished = [key for key, outcome in self.pages.items() if outcome is None]
        for key in unfinished:
            self._settle(key, key, FAILED, "unfinished", "", log=False)
        if unfinished:
            logger.error("%(n)d requested URLs unfinished: the crawl closed (%(reason)s) before their outcome, "
                         "e.g. %(urls)s", {"n": len(unfinished), "reason": reason, "urls": ", ".join(unfinished[:3])})
        by_reason: dict[str, Counter[str]] = {SKIPPED: Counter(), FAILED: Counter()}
        for outcome in self.pages.values():
            kind, _, why = outcome.partition("/")
            if kind in by_reason:
                by_reason[kind][why] += 1
        parts = []
        for kind in KINDS:
            detail = ", ".join(f"{why} {n}" for why, n in sorted(by_reason.get(kind, {}).items()))
            parts.append(f"{self.counts[kind]} {kind}" + (f" ({detail})" if detail else ""))
        logger.info("%(spider)s finished (%(reason)s): %(requested)d URLs requested = %(parts)s",
                    {"spider": spider.name, "reason": reason, "requested": len(self.pages),
                     "parts": " + ".join(parts)})
