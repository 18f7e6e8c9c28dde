"""``DiscoveryMixin``: the part of ``NewsSpider`` that finds stories where the site announces them.

A site declares its sources as data (class attributes): ``feeds`` (RSS, Atom or JSON Feed URLs),
``news_sitemaps`` and ``sitemaps`` (urlsets or indexes), and the base's ``listing_urls``. The
base adds the ``Sitemap:`` lines of robots.txt (read from the response Scrapy's robots
middleware fetched, so robots.txt is requested once) and the feeds pages link with
``<link rel="alternate">``.

The crawl runs in two phases. First every discovery document is read: sitemap indexes newest
first, a file whose ``<lastmod>`` is the same as last run's is not requested again (the cut);
urlsets, feeds and listing pages announce story URLs with what they say about them; a listing's
next page is followed while its pages bring URLs no earlier run saw. When nothing is left in
flight, the run plans (``broadsheet.state.run``) and requests only the article pages that are new,
changed, gone from their sitemap or due for a bounded re-check, each with its announcement in
``request.meta["broadsheet_announced"]``.

A discovery document that is not there (a recording without it, an HTTP error) is reported as
``broadsheet/discovery/missing/<kind>`` with a log line, never as a failed article; the listing is
always read as well, so a site without feed or sitemap is crawled from its listing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, ClassVar
from urllib.parse import urlparse

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from broadsheet.discovery import ANNOUNCED
from broadsheet.discovery.feeds import FeedError, parse_feed
from broadsheet.discovery.links import feed_links, sitemaps_from_robots
from broadsheet.discovery.sitemaps import SitemapError, parse_sitemap
from broadsheet.extensions.outcomes import FAILED, LISTING, SKIPPED, classify
from broadsheet.normalize.dates import parse_http_date
from broadsheet.state.run import IncrementalRun, Planned, for_crawler

STATS = "broadsheet/discovery"
REMOVAL_REASONS = frozenset({"removed", "http_404", "http_410"})
MISSING = frozenset({"http_404", "http_410", "not_in_cassette"})  # a discovery document that is not there


class DiscoveryMixin:
    """Discovery sources as data, the two-phase crawl, and the crawl state's hooks."""

    feeds: ClassVar[list[str]] = []
    news_sitemaps: ClassVar[list[str]] = []
    sitemaps: ClassVar[list[str]] = []
    article_url: ClassVar[re.Pattern[str]]
    listing_urls: ClassVar[list[str]]
    crawler: Any
    logger: Any

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        """Connect the signals discovery listens to."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        spider._documents = set()
        spider._planned = False
        spider._just_planned = False
        return spider

    def more_to_do(self) -> bool:
        """True at an idle moment after which this spider still adds work: before its plan, and
        at the idle where it has just requested the planned pages (quality gates wait for it)."""
        return not (self._planned or self.article_urls) or self._just_planned

    @property
    def incremental(self) -> IncrementalRun:
        """This crawl's run: announcements, plan and crawl state."""
        return for_crawler(self.crawler)

    # --- phase 1: discovery documents ---------------------------------------------------------

    async def discovery_start(self) -> AsyncIterator[scrapy.Request]:
        """The declared discovery documents, then the listing pages."""
        for kind, urls in (("feed", self.feeds), ("news_sitemap", self.news_sitemaps), ("sitemap", self.sitemaps)):
            for url in urls:
                if request := self.document_request(url, kind):
                    yield request
        for url in self.listing_urls:
            if request := self.document_request(url, "listing"):
                yield request

    def document_request(self, url: str, kind: str, lastmod: str | None = None) -> scrapy.Request | None:
        """The request for a discovery document, once per URL per run. In a ``JOBDIR`` job, past
        Scrapy's duplicate filter: its saved copy remembers the documents an interrupted run read,
        while the stories they announced lived in that run's memory only, so a resumed job reads
        them again. (A shared crawl's filter is what keeps workers from reading one twice.)"""
        if url in self._documents:
            return None
        self._documents.add(url)
        callbacks = {"feed": self.parse_feed_document, "listing": self.parse_listing}
        callback = callbacks.get(kind, self.parse_sitemap_document)
        return scrapy.Request(url, callback=callback, errback=self.on_document_error, priority=10,
                              dont_filter=bool(self.crawler.settings.get("JOBDIR")),
                              meta={"broadsheet_document": kind, "broadsheet_lastmod": lastmod})

    def _response_downloaded(self, response: Response, request: scrapy.Request, spider: Any) -> None:
        self.incremental.seen_time(parse_http_date(response.headers.get(b"Date")))
        if ANNOUNCED in request.meta:
            self.note_validators(response)
        if urlparse(response.url).path == "/robots.txt" and response.status == 200 and not self.article_urls:
            for url in sitemaps_from_robots(response.body):
                if sitemap := self.document_request(url, "sitemap"):
                    self.crawler.engine.crawl(sitemap)

    def parse_sitemap_document(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap index (its files, newest first, cut by ``<lastmod>``) or a urlset."""
        sitemap = self._read(response, "sitemap", parse_sitemap)
        if sitemap is None:
            return
        self.crawler.stats.inc_value(f"{STATS}/documents/{sitemap.kind}")
        self.outcomes.record(response, LISTING, "sitemap")
        run = self.incremental
        if sitemap.kind == "sitemapindex":
            run.index_read([url for url, _ in sitemap.sitemaps], sitemap.complete)
        unchanged = [url for url, lastmod in sitemap.sitemaps if run.sitemap_unchanged(url, lastmod)]
        recheck = run.sitemaps_to_recheck(unchanged)
        for priority, (url, lastmod) in enumerate(sitemap.sitemaps):
            if url in unchanged and url not in recheck:
                self.crawler.stats.inc_value(f"{STATS}/unchanged/sitemap")
                continue
            if url in recheck:
                self.crawler.stats.inc_value(f"{STATS}/recheck/sitemap")
            if request := self.document_request(url, "sitemap", lastmod):
                yield request.replace(priority=10 + len(sitemap.sitemaps) - priority)
        if not sitemap.complete:
            run.sitemap_trouble = True
        complete = sitemap.kind == "urlset" and not sitemap.is_news and sitemap.complete
        articles = [entry for entry in sitemap.urls if self.article_url.search(entry["url"])]
        for entry in articles:
            run.announce(entry, sitemap=response.url if complete else None)
        self.count_other_urls(response, "news_sitemap" if sitemap.is_news else "sitemap",
                              len(sitemap.urls), len(articles))
        if complete:
            run.sitemap_read(response.url, response.meta.get("broadsheet_lastmod"))
        self.document_read()

    def parse_feed_document(self, response: Response) -> None:
        """An RSS, Atom or JSON feed: each item announces a story."""
        items = self._read(response, "feed", parse_feed)
        if items is None:
            return
        self.crawler.stats.inc_value(f"{STATS}/documents/feed")
        self.outcomes.record(response, LISTING, "feed")
        urls = [response.urljoin(item["url"]) for item in items]
        articles = [{**item, "url": url} for item, url in zip(items, urls, strict=True) if self.article_url.search(url)]
        for item in articles:
            self.incremental.announce(item)
        self.count_other_urls(response, "feed", len(items), len(articles))
        self.document_read()

    def count_other_urls(self, response: Response, kind: str, entries: int, articles: int) -> None:
        """Count the entries of a feed or sitemap that ``article_url`` does not take for articles
        (``broadsheet/discovery/not_article_url/<kind>``), and say so (a WARNING) when a feed or news sitemap,
        whose entries are all stories, lists some and none of them matches: the site's article URLs have
        probably changed, and the spider's ``article_url`` with them."""
        if entries > articles:
            self.crawler.stats.inc_value(f"{STATS}/not_article_url/{kind}", entries - articles)
        if entries and not articles and kind in ("feed", "news_sitemap"):
            self.logger.warning("%(url)s lists %(n)d entries and %(spider)s.article_url matches none of them: has "
                                "the site changed its article URLs? Fix article_url in the spider.",
                                {"url": response.url, "n": entries, "spider": type(self).__name__})

    def listing_links(self, response: Response) -> Iterator[scrapy.Request]:
        """From a listing page: announce its article links, request the feeds it names; True
        in ``response.meta["broadsheet_brought_new"]`` when a link is new to the crawl state."""
        run = self.incremental
        fresh = False
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href)
            if self.article_url.search(url):
                fresh = fresh or not run.known(url)
                run.announce({"url": url, "sources": ["listing"]})
        response.meta["broadsheet_brought_new"] = fresh or not run.persistent
        for url in feed_links(response.selector.root, response.url):
            if request := self.document_request(url, "feed"):
                yield request
        self.document_read()

    def on_document_error(self, failure: Failure) -> None:
        """A discovery document that is not there (not recorded, 404, 410) is skipped as
        ``discovery_missing``, never a failed article; other errors are failures."""
        request = failure.request
        kind = request.meta.get("broadsheet_document", "document")
        _, reason = classify(failure)
        if kind == "sitemap":
            self.incremental.sitemap_trouble = True
        if reason in MISSING:
            self.crawler.stats.inc_value(f"{STATS}/missing/{kind}")
            self.logger.info("Discovery %(kind)s missing: %(url)s (%(reason)s)",
                             {"kind": kind, "url": request.url, "reason": reason})
            self.outcomes.record(request, SKIPPED, "discovery_missing")
            return
        self.outcomes.failure(failure)

    def _read(self, response: Response, kind: str, parse: Callable[[bytes, str], Any]) -> Any:
        """``parse`` the document; one that is not what it should be is a failed document (None)."""
        try:
            return parse(response.body, response.url)
        except (SitemapError, FeedError) as exc:
            self._document_failed(response, kind, f"not_a_{kind}", str(exc))
            return None

    def _document_failed(self, response: Response, kind: str, reason: str, message: str) -> None:
        if kind == "sitemap":
            self.incremental.sitemap_trouble = True
        self.crawler.stats.inc_value(f"{STATS}/failed/{kind}/{reason}")
        self.outcomes.record(response, FAILED, f"discovery_{reason}", message)

    # --- phase 2: the planned article pages ---------------------------------------------------

    def document_read(self) -> None:
        """A discovery document's announcements are in. With ``DISCOVERY_PLAN_EACH_DOCUMENT`` (on in a
        shared crawl) the pages they give a reason to request (new, changed) are requested now: a
        worker of a shared crawl is idle only when the whole crawl is, so planning at idle would hold
        back its stories until every other worker had run dry, and let those workers leave first."""
        if self.crawler.settings.getbool("DISCOVERY_PLAN_EACH_DOCUMENT") and not self.article_urls:
            self._request_planned(self.incremental.plan(final=False))

    def _idle(self, spider: Any) -> None:
        self._just_planned = False
        if self._planned or self.article_urls:
            return
        self._planned = True
        planned = self.incremental.plan()
        self._just_planned = bool(planned)
        self.logger.info("Discovery done: %(count)d article pages to request", {"count": len(planned)})
        self._request_planned(planned)
        if planned:
            raise DontCloseSpider

    def _request_planned(self, planned: list[Planned]) -> None:
        for item in planned:
            self.crawler.engine.crawl(self.planned_request(item))

    def planned_request(self, item: Planned) -> scrapy.Request:
        """The article request for a planned page, its announcement in meta; conditional when
        validators are known (a 304 goes to ``parse_not_modified``)."""
        request = self.article_request(item.url)
        headers = {}
        if item.etag:
            headers["If-None-Match"] = item.etag
        if item.last_modified:
            headers["If-Modified-Since"] = item.last_modified
        meta = {**request.meta, ANNOUNCED: item.announcement, "broadsheet_reason": item.reason}
        if headers:
            meta["handle_httpstatus_list"] = [304]
            return request.replace(headers=headers, meta=meta, callback=self.parse_not_modified,
                                   errback=self.on_planned_error)
        return request.replace(meta=meta, errback=self.on_planned_error)

    def on_planned_error(self, failure: Failure) -> None:
        """A planned page's error: accounted as any page's; a gone page (404, 410) is a removal."""
        _, reason = classify(failure)
        self.tombstone(failure.request.url, reason)
        self.on_error(failure)

    def parse_not_modified(self, response: Response) -> Iterator[Any]:
        """A conditional GET: 304 means unchanged; anything else is an article page."""
        if response.status == 304:
            self.incremental.not_modified(response.url)
            self.skip(response, "not_modified")
            return
        yield from self.parse_article(response)

    def tombstone(self, url: str, reason: str) -> None:
        """A skipped page: a removal notice or a gone page tombstones its record."""
        if reason in REMOVAL_REASONS:
            match = self.article_url.search(url)
            self.incremental.removed(url, reason, match.group("id") if match else None, self.site)

    def note_validators(self, response: Response) -> None:
        """Remember an article response's ETag and Last-Modified for later conditional GETs."""
        etag, modified = (response.headers.get(h) for h in (b"ETag", b"Last-Modified"))
        if etag or modified:
            self.incremental.http_validators(response.url, etag and etag.decode("latin-1"),
                                             modified and modified.decode("latin-1"))
