"""One run of an incremental crawl: what discovery announced, what to request, what to export.

``IncrementalRun`` sits between discovery (the spider), the export decision (the revisions
pipeline) and the crawl state, one per crawler (``for_crawler``). Discovery ``announce()``s every
story URL with its change signals; once every discovery document is read, ``plan()`` says which
article pages to request and why:

- ``new``: no run saw the URL;
- ``changed``: a signal the site gave last time differs now (a sitemap ``<lastmod>``, a feed's or a
  news sitemap's title or update time);
- ``reappeared``: a removed story is announced again;
- ``gone_from_sitemap``: a live story is missing from the complete (non-news) sitemap that listed
  it, which was read again in full (or which the sitemap indexes, all read in full, no longer
  list): its page is requested to confirm the removal. Absence is judged only from documents read
  this run, never from an index's ``<lastmod>``: a file whose ``<lastmod>`` did not change may
  still have lost a story (the index gives the newest ``lastmod`` inside it, which a removal
  does not move), so besides the files whose ``<lastmod>`` changed or is missing, each run
  re-reads up to ``SITEMAP_RECHECK_MAX`` (default 1) unchanged files, least recently read first;
- ``recheck``: a bounded number (``CRAWL_RECHECK_MAX``, default 3) of recent stories
  (``CRAWL_RECHECK_DAYS``, default 2) for which the site gives no signal, least recently fetched
  first.

A ``changed`` or ``recheck`` page whose ETag or Last-Modified was seen is requested with a
conditional GET (``If-None-Match``, ``If-Modified-Since``): a 304 costs no body and no export.

Everything else is skipped, counted in ``broadsheet/discovery/planned/<reason>`` and
``broadsheet/discovery/skipped/<reason>``. ``export()`` decides for each extracted record whether it
is new, a revision or unchanged; ``removed()`` turns a removal notice or a 404 into a tombstone.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from broadsheet.discovery.announce import Announcement, merge
from broadsheet.state.changes import changed_fields, digest, field_hashes, record_key
from broadsheet.state.publication import settle
from broadsheet.state.store import CrawlState, Record, utc_text
from broadsheet.state.stories import assign_story

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
STATS = "broadsheet/discovery"
SIGNALLING = ("sitemap", "news_sitemap", "feed")  # sources whose word is a change signal
_SIGNALS = ("lastmod", "headline")
_RUNS: weakref.WeakKeyDictionary[Crawler, IncrementalRun] = weakref.WeakKeyDictionary()


@dataclass
class Planned:
    """An article page to request: why, and the conditional-GET validators when known."""

    url: str
    reason: str
    announcement: Announcement
    etag: str | None = None
    last_modified: str | None = None


def for_crawler(crawler: Crawler) -> IncrementalRun:
    """The crawler's run, opened on first use from ``CRAWL_STATE`` (empty: in memory)."""
    run = _RUNS.get(crawler)
    if run is None:
        directory = crawler.settings.get("CRAWL_STATE") or None
        if directory and crawler.spidercls is not None:
            directory = directory % {"name": crawler.spidercls.name}
        run = _RUNS[crawler] = IncrementalRun(CrawlState.open(directory, judge=settle), crawler)
    return run


class IncrementalRun:
    """What this run announced, planned, exported and found removed."""

    def __init__(self, state: CrawlState, crawler: Crawler):
        self.state = state
        self.persistent = state.directory is not None
        self.stats = crawler.stats
        settings = crawler.settings
        self.recheck_max = settings.getint("CRAWL_RECHECK_MAX", 3)
        self.recheck_days = settings.getfloat("CRAWL_RECHECK_DAYS", 2)
        self.announced: dict[str, Announcement] = {}
        self.unplanned: dict[str, None] = {}  # announced URLs no plan has taken yet, in announcement order
        self.planned_keys: set[str] = set()  # records (or URLs) a plan of this run requested
        self.signals: dict[str, dict[str, str]] = {}
        self.in_sitemap: dict[str, str] = {}  # article URL -> the complete sitemap listing it now
        self.sitemaps_read: set[str] = set()
        self.indexed: set[str] = set()  # files the sitemap indexes read in full list this run
        self.indexes_read = 0
        self.sitemap_trouble = False  # a sitemap document missing, failed or cut short this run
        self.sitemap_recheck_max = settings.getint("SITEMAP_RECHECK_MAX", 1)
        self.validators: dict[str, tuple[str | None, str | None]] = {}
        self.removals: list[dict[str, Any]] = []
        self.now: dt.datetime | None = None  # the newest Date header seen: the site's time

    # --- discovery -------------------------------------------------------------------------

    def seen_time(self, moment: dt.datetime | None) -> None:
        """Advance the run's reference time to a response's ``Date``."""
        if moment is not None and (self.now is None or moment > self.now):
            self.now = moment

    @property
    def now_text(self) -> str:
        """The reference time as stored text (the clock only when no response had a Date)."""
        return utc_text(self.now or dt.datetime.now(dt.UTC))

    def known(self, url: str) -> bool:
        """Whether an earlier run saw this URL."""
        return self.state.record_for_url(url) is not None

    def announce(self, announcement: Announcement, sitemap: str | None = None) -> None:
        """Take note of what one source says about a story URL (``sitemap``: the complete
        sitemap file that lists it)."""
        url = announcement["url"]
        merge(self.announced.setdefault(url, {"url": url}), announcement)
        self.unplanned[url] = None
        signals = self.signals.setdefault(url, {})
        for source in announcement.get("sources", []):
            if source in SIGNALLING:
                signals.update({f"{source}:{name}": digest(announcement[name])
                                for name in _SIGNALS if announcement.get(name)})
        if sitemap:
            self.in_sitemap[url] = sitemap

    def sitemap_read(self, url: str, lastmod: str | None) -> None:
        """A complete sitemap file was read this run (``lastmod``: what its index said)."""
        self.sitemaps_read.add(url)
        self.state.set_document_lastmod(url, lastmod, self.now_text)

    def sitemap_unchanged(self, url: str, lastmod: str | None) -> bool:
        """Whether a sitemap index gives a file the same ``<lastmod>`` as last time."""
        return lastmod is not None and self.state.document_lastmod(url) == lastmod

    def index_read(self, files: list[str], complete: bool) -> None:
        """A sitemap index was read: the files it lists (``complete``: read without errors)."""
        if complete:
            self.indexes_read += 1
            self.indexed.update(files)
        else:
            self.sitemap_trouble = True

    def sitemaps_to_recheck(self, unchanged: list[str]) -> list[str]:
        """Of the files an index says are unchanged, the ``SITEMAP_RECHECK_MAX`` read longest ago."""
        return self.state.least_recently_read(unchanged, self.sitemap_recheck_max) if unchanged else []

    def dropped_sitemaps(self) -> set[str]:
        """Sitemap files that listed live stories last time and that no index lists any more
        (judged only when every sitemap document of this run was read in full)."""
        if not self.indexes_read or self.sitemap_trouble:
            return set()
        return self.state.live_sitemaps() - self.indexed - self.sitemaps_read

    def plan(self, final: bool = True) -> list[Planned]:
        """The article pages to request, once every discovery document is read (``final``). A plan
        that is not final (a shared crawl plans after each document its worker read) requests only
        the announced pages with a reason to go (new, changed, reappeared) and leaves the rest, the
        pages gone from their sitemap and the re-checks to the final plan; no plan requests a page twice."""
        planned: list[Planned] = []
        if final:
            planned += self._gone_from_sitemaps()
        for url in list(self.unplanned):
            record = self.state.record_for_url(url)
            key = record.key if record else url
            reason = None if key in self.planned_keys else self._reason(record, self.signals.get(url, {}),
                                                                           self.announced[url])
            if reason is None and not final:
                continue  # judged again by a later plan: a source read later may give a change signal
            del self.unplanned[url]
            if reason is None:
                if key not in self.planned_keys:
                    self.stats.inc_value(f"{STATS}/skipped/{'removed' if record.status == 'removed' else 'unchanged'}")
                continue
            validators = (record.etag, record.last_modified) if record and reason == "changed" else (None, None)
            planned.append(Planned(url, reason, self.announced[url], *validators))
            self.planned_keys.add(key)
        if final and self.recheck_max > 0 and self.persistent:
            since = utc_text((self.now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=self.recheck_days))
            for record in self.state.unsignalled(since, self.recheck_max, self.planned_keys):
                planned.append(Planned(record.url, "recheck", self.announced.get(record.url, {}),
                                       record.etag, record.last_modified))
        for item in planned:
            self.stats.inc_value(f"{STATS}/planned/{item.reason}")
        return planned

    def _gone_from_sitemaps(self) -> list[Planned]:
        """Live stories of the sitemaps read this run that none of them lists any more."""
        listed = {record.key for url in self.announced if url in self.in_sitemap
                  and (record := self.state.record_for_url(url)) is not None}
        gone = []
        self.sitemaps_read |= self.dropped_sitemaps()  # read, as it were, and found empty
        for sitemap in sorted(self.sitemaps_read):
            for record in self.state.live_in_sitemap(sitemap):
                if record.key not in listed and record.key not in self.planned_keys and record.url:
                    gone.append(Planned(record.url, "gone_from_sitemap", self.announced.get(record.url, {})))
                    self.planned_keys.add(record.key)
        return gone

    def _reason(self, record: Record | None, signals: dict[str, str], announcement: Announcement) -> str | None:
        if record is None:
            return "new"
        vouched = any(source in SIGNALLING for source in announcement.get("sources", []))
        if record.status == "removed":
            return "reappeared" if vouched else None
        if any(record.signals.get(name) not in (None, value) for name, value in signals.items()):
            return "changed"
        return None  # unchanged, or no signal at all: at most a bounded re-check (see ``plan``)

    # --- responses ---------------------------------------------------------------------------

    def http_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember a page's ETag and Last-Modified for a later conditional GET."""
        self.validators[url] = (etag, last_modified)

    def not_modified(self, url: str) -> None:
        """A conditional GET answered 304: the record is unchanged; it was checked now, and the
        signals that led to the request are its signals from now on."""
        record = self.state.record_for_url(url)
        if record is not None:
            record.checked = self.now_text
            record.signals = {**record.signals, **self.signals.get(url, {})}
            record.sitemap = self._sitemap_of(url, record)
            self.state.save(record)

    def removed(self, url: str, reason: str, article_id: str | None, site: str) -> None:
        """A page answered with a removal notice or as gone: tombstone its record, once."""
        record = self.state.record_for_url(url) or Record(key=url, site=site, article_id=article_id, url=url)
        if record.status == "removed":
            return
        exported = record.revision > 0
        record.status, record.sitemap, record.checked = "removed", None, self.now_text
        self.state.save(record)
        self.stats.inc_value("broadsheet/removed")
        self.removals.append({
            "site": record.site, "article_id": record.article_id, "language": record.language,
            "url": url, "record_key": record.key, "story": record.story, "revision": record.revision or None,
            "reason": reason, "removed_at": self.now_text, "previously_exported": exported,
        })

    # --- the export decision -----------------------------------------------------------------

    def export(self, record: dict[str, Any]) -> bool:
        """Whether ``record`` goes to the dataset (new, or its content changed); fills its
        ``revision``, ``changed_fields``, ``story`` and, for a revision whose page states no
        modification time, ``date_modified`` from the sitemap's ``<lastmod>``. Saves what the
        state must remember either way."""
        url = record["url"]
        key = record_key(record)
        hashes = field_hashes(record)
        previous = self.state.record(key)
        announcement = self.announced.get(url, {})
        etag, last_modified = self.validators.get(url, (None, None))
        fresh = Record(
            key=key, site=record.get("site"), article_id=record.get("article_id"), language=record.get("language"),
            url=record.get("canonical_url") or url, fields=hashes,
            signals={**(previous.signals if previous else {}), **self.signals.get(url, {})},
            sitemap=self._sitemap_of(url, previous), date_published=record.get("date_published"),
            etag=etag, last_modified=last_modified, checked=self.now_text,
        )
        urls = [url, *self._same_language_alternates(announcement, record.get("language"))]
        if previous is not None and previous.status == "live" and previous.fields == hashes:
            fresh.revision, fresh.story, fresh.exported = previous.revision, previous.story, previous.exported
            self.state.save(fresh, urls)
            return False
        fresh.revision = (previous.revision if previous else 0) + 1
        fresh.story = previous.story if previous and previous.story else assign_story(
            self.state, record.get("body"), f"{record.get('site')}:{record.get('article_id') or key}",
            self._sibling_story(record))
        fresh.exported = self.now_text
        self.state.save(fresh, urls)
        numbering = {"revision": fresh.revision, "story": fresh.story,
                     "changed_fields": changed_fields(previous.fields, hashes) if previous else None}
        record.update({name: value for name, value in numbering.items() if name in record})  # a pinned
        # older schema (SCHEMA=article@1) has no such fields: the record keeps its version's shape
        lastmod = announcement.get("lastmod")
        stated = record.get("date_modified") or "date_modified" not in record
        if previous and not stated and lastmod and lastmod > (record.get("date_published") or ""):
            record["date_modified"] = lastmod
        return True

    def _sitemap_of(self, url: str, previous: Record | None) -> str | None:
        if url in self.in_sitemap:
            return self.in_sitemap[url]
        if previous is None or previous.sitemap in self.sitemaps_read:
            return None  # its sitemap was read and no longer lists it
        return previous.sitemap

    @staticmethod
    def _same_language_alternates(announcement: Announcement, language: str | None) -> list[str]:
        primary = (language or "").split("-")[0].lower()
        return [href for lang, href in announcement.get("alternates", {}).items()
                if lang.split("-")[0].lower() == primary]

    def _sibling_story(self, record: dict[str, Any]) -> str | None:
        if not record.get("article_id"):
            return None
        return self.state.story_of_article(record.get("site"), str(record["article_id"]))
