"""``NewsSpider``: the base every site spider stands on.

A site spider is configuration plus the few things only its site needs:

- ``listing_urls``, ``article_url`` (a regex with named groups ``id`` and, when the URL carries
  the day, ``yyyymmdd``), ``next_page_xpath``, ``site_tz``;
- ``headline_xpath`` and ``authors_xpath``: where the page shows them, the last resort after
  structured data;
- ``body_xpath`` and ``body_exclude_xpath`` (widgets, disclaimers, cards inside the body);
- ``related_cards``: where the related-story cards are and where each part of a card is;
- optionally ``page_state(response)`` for fields that embedded page state carries, and
  ``not_article_reason(response)`` for pages that are not articles (removal notices).

Structured data comes first: the site's page state, then JSON-LD, then meta tags; selectors last.

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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlparse

import scrapy
from lxml import etree
from scrapy.http import HtmlResponse, Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from broadsheet.discovery import ANNOUNCED
from broadsheet.discovery.spider import DiscoveryMixin
from broadsheet.errors import BadInput
from broadsheet.extensions.outcomes import FAILED, LISTING, SKIPPED, PageOutcomes
from broadsheet.items import Article, RelatedStory
from broadsheet.news.structured import first_image, json_ld_article, meta
from broadsheet.news.xpath import first, nodes, text
from broadsheet.normalize.authors import normalize_authors
from broadsheet.normalize.dates import (
    date_from_url,
    local_date,
    parse_card_date,
    parse_http_date,
    parse_instant,
    to_rfc3339_utc,
)
from broadsheet.normalize.text import clean_or_none, clean_text, html_blocks, join_blocks


def article_urls(urls: str | None) -> list[str]:
    """``-a urls=U1,U2`` as a list; anything but absolute URLs is ``BadInput``."""
    found = [u.strip() for u in (urls or "").split(",") if u.strip()]
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

    ``cards`` is absolute; the others are relative to one card. ``author`` text may carry a
    localised label ("Author  X"): the part after ``author_separator`` is kept when present.
    """

    cards: str
    link: str
    headline: str
    summary: str
    author: str
    date: str
    author_separator: str = "\u00a0\u00a0"


class NewsSpider(DiscoveryMixin, scrapy.Spider):
    """Base spider for a news site: discovery documents (feeds, sitemaps, listing pages; see
    ``broadsheet.discovery.spider``) to article pages to ``Article`` items.

    ``-a urls=U1,U2`` crawls exactly those article pages instead;
    ``-a max_pages=N`` stops following "next page" after N listing pages.
    """

    site: ClassVar[str]
    listing_urls: ClassVar[list[str]] = []
    article_url: ClassVar[re.Pattern[str]]
    next_page_xpath: ClassVar[str] = '//a[@rel="next"]/@href'
    site_tz: ClassVar[dt.tzinfo] = dt.UTC
    body_xpath: ClassVar[str] = "//article"
    body_exclude_xpath: ClassVar[str | None] = None
    headline_xpath: ClassVar[str] = "//h1"
    authors_xpath: ClassVar[str | None] = None
    related_cards: ClassVar[CardLayout | None] = None

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
        schema validation quarantines it with the missing paths rather than losing it.
        """
        reason = self.not_article_reason(response)
        if reason:
            self.skip(response, reason)
            return
        try:
            article = self.extract_article(response)
        except Exception as exc:  # noqa: BLE001 - one bad page is a counted failure, not a lost one
            self.fail(response, f"extraction_{type(exc).__name__}", traceback.format_exc())
            return
        if article.canonical_url != response.url and article.canonical_url in self._requested:
            self.skip(response, "duplicate_locale")
            return
        yield article

    def extract_article(self, response: Response) -> Article:
        """Build the item: page state, then JSON-LD, then meta tags, then selectors."""
        root = response.selector.root
        state = self.page_state(response)
        ld = json_ld_article(root, response.url)
        served = self.reference_time(response)
        announced = response.meta.get(ANNOUNCED, {})  # what a feed or sitemap said: the last source
        language = first(root, "/html/@lang") or meta(root, "og:locale") or announced.get("language")
        url_match = self.article_url.search(response.url)
        date_published = (state.get("date_published") or parse_instant(ld.get("datePublished"))
                          or parse_instant(meta(root, "article:published_time")) or announced.get("date_published"))
        return Article(
            url=response.url,
            canonical_url=response.urljoin(first(root, '/html/head/link[@rel="canonical"]/@href') or response.url),
            site=self.site,
            article_id=str(state.get("article_id") or (url_match.group("id") if url_match else "")),
            language=language,
            headline=clean_or_none(state.get("headline") or ld.get("headline")
                                   or clean_text(text(root, self.headline_xpath)) or meta(root, "og:title")),
            authors=(state.get("authors") or normalize_authors(ld.get("author"))
                     or normalize_authors(meta(root, "author", "article:author"))
                     or (normalize_authors(nodes(root, self.authors_xpath + "//text()"))
                         if self.authors_xpath else [])),
            date_published=date_published,
            publication_date=(local_date(date_published, self.site_tz)
                              or date_from_url(response.url, self.article_url)),
            date_modified=(state.get("date_modified") or parse_instant(ld.get("dateModified"))
                           or parse_instant(meta(root, "article:modified_time"))),
            description=clean_or_none(state.get("description") or ld.get("description")
                                      or meta(root, "description", "og:description")),
            image=self._absolute(response, state.get("image") or first_image(ld.get("image"))
                                 or meta(root, "og:image")),
            body=self.extract_body(response),
            tickers=self.extract_tickers(response, state),
            related=self.extract_related(response, served, language or "en"),
            crawled_at=to_rfc3339_utc(served),
        )

    @staticmethod
    def _absolute(response: Response, url: str | None) -> str | None:
        return response.urljoin(url) if url else None

    def reference_time(self, response: Response) -> dt.datetime:
        """When the page was served: its ``Date`` header (the recording's time on replay);
        the crawler's clock only when the header is missing."""
        return parse_http_date(response.headers.get(b"Date")) or dt.datetime.now(dt.UTC)

    def extract_body(self, response: Response) -> str | None:
        """The body text as blocks, without the elements ``body_exclude_xpath`` selects."""
        roots = nodes(response.selector.root, self.body_xpath)
        if not roots:
            return None
        root: etree._Element = roots[0]
        excluded = set(nodes(root, self.body_exclude_xpath)) if self.body_exclude_xpath else set()
        return join_blocks(html_blocks(root, excluded.__contains__ if excluded else None)) or None

    def extract_tickers(self, response: Response, state: dict[str, Any]) -> list[str]:
        """Instrument symbols; the base takes them from page state only."""
        return list(dict.fromkeys(state.get("tickers") or []))

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
            author = text(card, layout.author)
            if layout.author_separator in author:
                author = author.split(layout.author_separator, 1)[1]
            date_text = clean_or_none(text(card, layout.date))
            stories.append(RelatedStory(
                url=response.urljoin(href),
                headline=clean_text(text(card, layout.headline)),
                summary=clean_or_none(text(card, layout.summary)),
                author=clean_or_none(author),
                date_published=parse_card_date(date_text, language, served, self.site_tz),
                date_text=date_text,
            ))
        return stories
