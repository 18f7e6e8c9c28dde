"""``NewsSpider``: the base every site spider stands on.

A site spider is configuration plus the few things only its site needs:

- ``listing_urls``, ``article_url`` (a regex with named groups ``id`` and, when the URL carries
  the day, ``yyyymmdd``), ``next_page_xpath``, ``site_tz`` (the zone its calendar days are in;
  unset: the day as the page states it);
- ``name``: the spider's name, and the records' ``site`` (``site`` defaults to it with ``-`` as
  ``_``, since a record's ``site`` is lower case, digits and ``_``: ``times-of-india`` gives
  ``times_of_india``; set ``site`` only for a different one);
- ``sources``: for the fields where the site knows better than the base, their ordered sources
  (``broadsheet.extract.sources``; ``...`` in a list stands for the base's sources of that field),
  e.g. ``{"body": [Container('//div[@class="story"]')], "headline": [State("title"), ...]}``;
- ``layouts``: dated versions of those sources when the site was redesigned
  (``broadsheet.layouts``), each page read with the one of its reference time;
- ``related_cards``: where the related-story cards are and where each part of a card is;
- optionally ``page_state(response)``, the embedded state ``State`` sources read, and
  ``not_article_reason(response)`` for pages that are not articles (removal notices).

Every other field comes from the generic base (``broadsheet.extract.fields.BASE_SOURCES``):
JSON-LD, microdata, metas of many vendors, bylines, ``<time>``, main-content extraction, the URL.

Every requested URL ends in one outcome, accounted for by ``broadsheet.extensions.outcomes``:
an article item (exported or quarantined by the pipelines), a listing page, a skipped page
(``broadsheet/pages/skipped/<reason>``: removed, not HTML, HTTP 404/410, duplicate locale, ...)
or a failed one (``broadsheet/pages/failed/<reason>``). Each skip and failure is logged with its
URL and reason; the crawl's close logs the partition.
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlparse

import scrapy
from scrapy.http import HtmlResponse, Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from broadsheet.discovery.spider import DiscoveryMixin
from broadsheet.errors import BadInput
from broadsheet.extensions.outcomes import FAILED, LISTING, SKIPPED, PageOutcomes
from broadsheet.extract.body import Body, text_body
from broadsheet.extract.body_fallback import FallbackExtractor, load_fallback
from broadsheet.extract.fields import Extraction, extract_fields, sources_for
from broadsheet.extract.page import Page
from broadsheet.extract.quality import FIELD_SOURCE_NAMES, quality
from broadsheet.extract.sources import URL, Hint
from broadsheet.extract.xpath import first, nodes, text
from broadsheet.items import Article, FieldSources, RelatedStory
from broadsheet.layouts import Layout, LayoutVersions, layered
from broadsheet.news.reading import READING, Reading
from broadsheet.normalize.dates import Moment, local_date, parse_card_date, parse_http_date, to_rfc3339_utc
from broadsheet.normalize.text import clean_or_none, clean_text
from broadsheet.normalize.urls import as_uri

FIELD_STATS = "broadsheet/field"
"""``broadsheet/field/<field>/<source>``: how many items took each field from each source."""
JSON_LD_CONFLICTS = "broadsheet/jsonld/conflicts"
"""Pages whose JSON-LD holds other article objects disagreeing with the chosen one."""


def _raw_if_differs(raw: Any, moment: Moment | None) -> str | None:
    """The raw date text when it says something other than the normalised instant or day."""
    if moment is None or not isinstance(raw, str):
        return None
    return None if raw.strip() in (moment.instant, moment.day.isoformat()) else raw.strip()


URL_SEPARATOR = re.compile(r"\s+|,(?=\s*https?://)")
"""Between the URLs of ``-a urls=``: whitespace (a newline), or a comma before the next ``http(s)://``
(a comma inside a URL, as in ``/nachrichten/hamburg/text,ndr123.html``, stays in it)."""


def article_urls(urls: str | None) -> list[str]:
    """``-a urls=U1,U2`` (or URLs separated by whitespace or newlines) as a list; anything but
    absolute URLs is ``BadInput``."""
    found = [u.strip() for u in URL_SEPARATOR.split(urls or "") if u.strip()]
    for url in found:
        parsed = urlparse(url)
        if not parsed.scheme or not parsed.netloc:
            raise BadInput(f"-a urls: {url!r} is not an absolute URL; give article URLs "
                           "(https://...), separated by commas")
    return found


def page_limit(max_pages: str | int | None) -> int | None:
    """``-a max_pages=N`` as a number of listing pages (None: no limit); ``BadInput`` unless 1 or more."""
    if max_pages in (None, ""):
        return None
    try:
        limit = int(max_pages)
    except ValueError:
        limit = 0
    if limit < 1:
        raise BadInput(f"-a max_pages={max_pages!r}: give a whole number of listing pages, 1 or more "
                       "(leave it out to follow every page)")
    return limit


@dataclass(frozen=True)
class CardLayout:
    """Where the related-story cards are on a page, and each part of a card (XPaths).

    ``cards`` is absolute; the others are relative to one card. ``summary``, ``author`` and
    ``date`` are optional (a site's cards may show none). ``author`` text may carry a
    localised label ("Author  X"): the part after ``author_separator`` is kept when present.
    """

    cards: str
    link: str
    headline: str
    summary: str | None = None
    author: str | None = None
    date: str | None = None
    author_separator: str = "\u00a0\u00a0"


class NewsSpider(LayoutVersions, DiscoveryMixin, scrapy.Spider):
    """Base spider for a news site: discovery documents (feeds, sitemaps, listing pages; see
    ``broadsheet.discovery.spider``) to article pages to ``Article`` items.

    ``-a urls=U1,U2`` crawls exactly those article pages instead;
    ``-a max_pages=N`` stops following "next page" after N listing pages.
    """

    site: ClassVar[str]
    listing_urls: ClassVar[list[str]] = []
    article_url: ClassVar[re.Pattern[str]]
    next_page_xpath: ClassVar[str] = '//a[@rel="next"]/@href'
    site_tz: ClassVar[dt.tzinfo | None] = None
    sources: ClassVar[Mapping[str, Sequence[Any]]] = {}
    related_cards: ClassVar[CardLayout | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "site" not in vars(cls) and isinstance(vars(cls).get("name"), str):
            cls.site = cls.name.replace("-", "_")

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Apply ``custom_settings``; when replaying a cassette, drop politeness delays (there is
        no server to spare) unless the command line set them."""
        super().update_settings(settings)
        if settings.get("VCR_CASSETTE") and (settings.get("VCR_RECORD_MODE") or "none") == "none":
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
            settings.set("DOWNLOAD_DELAY", 0, priority="spider")

    def __init__(self, *args: Any, urls: str | None = None, max_pages: str | int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.article_urls = article_urls(urls)
        self.max_pages = page_limit(max_pages)
        self.listing_pages = 0
        self._requested: set[str] = set()

    # --- requests -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Article pages given with ``-a urls``, else the discovery documents."""
        if self.article_urls:
            for url in self.article_urls:
                yield self.article_request(url)
        else:
            async for request in self.discovery_start():
                yield request

    def article_request(self, url: str) -> scrapy.Request:
        """The request for one article page, remembered for locale de-duplication."""
        self._requested.add(url)
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """Announce every article the listing links, then follow its next page while pages
        bring stories new to the crawl state."""
        self.outcomes.record(response, LISTING)
        self.listing_pages += 1
        yield from self.listing_links(response)
        next_page = response.xpath(self.next_page_xpath).get()
        if next_page and not response.meta["broadsheet_brought_new"]:
            self.logger.info("Not following %(url)s: this page brought no new story",
                             {"url": response.urljoin(next_page)})
        elif next_page and self.max_pages is not None and self.listing_pages >= self.max_pages:
            self.logger.info("Not following %(url)s: -a max_pages=%(max)d reached",
                             {"url": response.urljoin(next_page), "max": self.max_pages})
        elif next_page and (request := self.document_request(response.urljoin(next_page), "listing")):
            yield request

    # --- outcomes --------------------------------------------------------------------------

    @property
    def outcomes(self) -> PageOutcomes:
        """The crawl's page accounting (``broadsheet.extensions.outcomes``)."""
        return PageOutcomes.of(self.crawler)

    def skip(self, page: Response | scrapy.Request, reason: str) -> None:
        """Account for a page that is not an article: a stat and a log line with the reason."""
        self.outcomes.record(page, SKIPPED, reason)
        self.tombstone(page.url, reason)

    def fail(self, page: Response | scrapy.Request, reason: str, message: str) -> None:
        """Account for a page that could not be turned into an item: a stat and a log line."""
        self.outcomes.record(page, FAILED, reason, message)

    def on_error(self, failure: Failure) -> None:
        """Account for a failed request: a gone page (404, 410), robots, offsite or a redirect loop
        is skipped; any other HTTP status or download error failed."""
        self.outcomes.failure(failure)

    # --- articles --------------------------------------------------------------------------

    def not_article_reason(self, response: Response) -> str | None:
        """Why this page is not an article (``"removed"``), or None for an article page."""
        return None if isinstance(response, HtmlResponse) else "not_html"

    def page_state(self, response: Response) -> dict[str, Any]:
        """Article fields carried by the site's embedded page state (``Article`` field names)."""
        return {}

    def parse_article(self, response: Response) -> Iterator[Article]:
        """One ``Article`` per article page; other pages are skipped with a reason.

        A page that is an article always yields its item, even with fields missing, so that
        schema validation quarantines it with the missing paths rather than losing it. The page
        is read here (``read_article``) unless an extraction worker read it already.
        """
        reading = (response.meta.pop(READING, None) if response.request is not None else None) \
            or self.read_article(response)
        for key, count in reading.stats.items():
            self.crawler.stats.inc_value(key, count)
        if reading.skipped:
            self.skip(response, reading.skipped)
            return
        if reading.failed:
            self.fail(response, reading.failed, reading.detail)
            return
        article = reading.article
        if article.canonical_url != response.url and article.canonical_url in self._requested:
            self.skip(response, "duplicate_locale")
            return
        yield article

    def read_article(self, response: Response) -> Reading:
        """What the page is: its ``Article``, or why it is not an article, or why reading it failed. It
        changes nothing but the crawl's stats, so that an extraction worker can run it."""
        reason = self.not_article_reason(response)
        if reason:
            return Reading(skipped=reason)
        try:
            return Reading(article=self.extract_article(response))
        except Exception as exc:  # noqa: BLE001 - one bad page is a counted failure, not a lost one
            return Reading(failed=f"extraction_{type(exc).__name__}", detail=traceback.format_exc())

    def reads_article(self, request: scrapy.Request) -> bool:
        """Whether ``request``'s response goes to ``read_article`` (what an extraction worker may read)."""
        return request.callback in (self.parse_article, self.parse_not_modified)

    def field_sources(self, layout: type[Layout] | None = None) -> dict[str, Sequence[Any]]:
        """Each field's sources for this spider: the base's (``broadsheet.extract.fields``), the id
        and day from ``article_url`` when it has them, the site's ``sources`` over them, and a dated
        ``layout``'s over those."""
        own: dict[str, list[Any]] = {}
        pattern = getattr(self, "article_url", None)
        if pattern is not None:
            own["article_id"] = [Hint("article_id"), URL(pattern, "id"), ...]
        base = sources_for("date_published", {})
        heuristic = next(i for i, source in enumerate(base) if source.label == "text")
        url_day = [URL(pattern, "yyyymmdd", name="url:yyyymmdd")] if pattern is not None else []
        own["date_published"] = [*base[:heuristic], *url_day, *base[heuristic:]]  # the site's URL day before guesses
        return layered(layered(own, self.sources), layout.sources if layout else {})

    def extract_article(self, response: Response) -> Article:
        """Build the item: every field by its ordered sources (``field_sources``); the winning
        source of each counted in the stats as ``broadsheet/field/<field>/<source>``."""
        page = Page(response, self.page_state)
        found = extract_fields(page, self.sources_at(self.reference_time(response)))
        self.fallback_body(response, found)
        stats = self.crawler.stats
        for field, source in found.winners.items():
            stats.inc_value(f"{FIELD_STATS}/{field}/{source}")
        if page.json_ld_conflicts:
            stats.inc_value(JSON_LD_CONFLICTS)
        return self.build_article(response, found)

    def fallback_body(self, response: Response, found: Extraction) -> None:
        """The ``BODY_FALLBACK`` extractor's body, when one is set and the record's quality is below
        ``BODY_FALLBACK_BELOW`` or it has no body (``broadsheet.extract.body_fallback``)."""
        extractor = self._body_fallback
        if extractor is None or ("body" in found.values
                                 and quality(found) >= self.settings.getfloat("BODY_FALLBACK_BELOW", 0.6)):
            return
        body = text_body(extractor(response))
        if body is not None:
            found.values["body"], found.raws["body"], found.winners["body"] = body, body.text, "fallback"

    @cached_property
    def _body_fallback(self) -> FallbackExtractor | None:
        return load_fallback(self.settings.get("BODY_FALLBACK") or "")

    def build_article(self, response: Response, found: Extraction) -> Article:
        """The item from the extracted fields, with the page's served time and the related cards."""
        values = found.values
        served = self.reference_time(response)
        published: Moment | None = values.get("date_published")
        modified: Moment | None = values.get("date_modified")
        body: Body | None = values.get("body")
        language = values.get("language")
        return Article(
            url=response.url,
            canonical_url=values.get("canonical_url") or response.url,
            site=self.site_of(response),
            article_id=values.get("article_id"),
            language=language,
            headline=values.get("headline"),
            authors=values.get("authors") or [],
            author_organisations=values.get("author_organisations") or [],
            date_published=published.instant if published else None,
            publication_date=self.local_day(published),
            date_modified=modified.instant if modified else None,
            description=values.get("description"),
            image=values.get("image"),
            body=body.text if body else None,
            tickers=values.get("tickers") or [],
            related=self.extract_related(response, served, language or "en"),
            crawled_at=to_rfc3339_utc(served),
            date_published_raw=_raw_if_differs(found.raws.get("date_published"), published),
            date_modified_raw=_raw_if_differs(found.raws.get("date_modified"), modified),
            section=values.get("section"),
            keywords=values.get("keywords") or [],
            free_access=values.get("free_access"),
            body_markdown=body.markdown if body else None,
            quality=quality(found),
            field_sources=FieldSources(**{f: found.winners.get(f) for f in FIELD_SOURCE_NAMES}),
        )

    def site_of(self, response: Response) -> str:
        """The record's ``site``: the spider's own."""
        return self.site

    def local_day(self, moment: Moment | None) -> dt.date | None:
        """The calendar day of publication: in ``site_tz`` when the site sets one, else as the page states it."""
        if moment is None:
            return None
        if moment.instant and self.site_tz is not None:
            return local_date(moment.instant, self.site_tz)
        return moment.day

    def reference_time(self, response: Response) -> dt.datetime:
        """When the page was served: its ``Date`` header (the recording's time on replay);
        the crawler's clock only when the header is missing."""
        return parse_http_date(response.headers.get(b"Date")) or dt.datetime.now(dt.UTC)

    def extract_related(self, response: Response, served: dt.datetime, language: str) -> list[RelatedStory]:
        """The related-story cards that ``related_cards`` describes, in page order; their dates
        read in the page's ``language`` against ``served``, when the page was served."""
        layout = self.related_cards
        if layout is None:
            return []
        root = response.selector.root
        stories = []
        for card in nodes(root, layout.cards):
            href = first(card, layout.link)
            if not href:
                continue
            author = text(card, layout.author) if layout.author else ""
            if layout.author_separator in author:
                author = author.split(layout.author_separator, 1)[1]
            date_text = clean_or_none(text(card, layout.date)) if layout.date else None
            stories.append(RelatedStory(
                url=as_uri(response.urljoin(href), response.encoding),
                headline=clean_text(text(card, layout.headline)),
                summary=clean_or_none(text(card, layout.summary)) if layout.summary else None,
                author=clean_or_none(author),
                date_published=parse_card_date(date_text, language, served, self.site_tz or dt.UTC),
                date_text=date_text,
            ))
        return stories
