"""The article item: one news article page, as the ``article`` schema describes it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from spiders.items.related_story import RelatedStory


@dataclass(slots=True)
class Article:
    """One news article, extracted from its page.

    Field names and meanings are the contract of ``schemas/article``; never rename one. Text
    fields are whitespace-normalised (entities decoded, non-breaking spaces made spaces).
    """

    url: str
    """The page URL as fetched (after redirects)."""

    canonical_url: str
    """The page's declared canonical URL (``<link rel=canonical>``), absolute; the URL itself
    when the page declares none. Two locales of one story share it."""

    site: str
    """Short name of the site (the spider's ``site``), e.g. ``mitrade``."""

    article_id: str
    """The site's own identifier of the story, stable across its locales."""

    language: str | None
    """BCP 47 language tag of the page, from the page itself (``en-AU``, ``es``)."""

    headline: str | None
    """The article's headline."""

    authors: list[str] = field(default_factory=list)
    """Author display names in page order; for wire copy, the provider (``Tradingkey``)."""

    date_published: str | None = None
    """Publication instant, RFC 3339 in UTC with ``Z``; None when the page gives only a day."""

    publication_date: dt.date | None = None
    """Calendar date of publication in the site's local time (YYYY-MM-DD): from the instant
    when there is one, else from the URL."""

    date_modified: str | None = None
    """Last-modified instant, RFC 3339 UTC, when the page states one."""

    description: str | None = None
    """The page's own summary (structured data or ``<meta name=description>``)."""

    image: str | None = None
    """Absolute URL of the lead image."""

    body: str | None = None
    """Plain text of the article: one block per paragraph, heading, list item or quote, blocks
    separated by a blank line; no widgets, disclaimer or related-story text."""

    tickers: list[str] = field(default_factory=list)
    """Instrument symbols the article is tagged with (``BTCUSD``), in page order, unique."""

    related: list[RelatedStory] = field(default_factory=list)
    """The related-story cards shown with the article, in page order."""

    crawled_at: str | None = None
    """When the page was fetched, RFC 3339 UTC: the response's ``Date`` header (the recording's
    time for a replayed page), else the crawler's clock."""

    record_schema: str | None = None
    """Provenance: the ``subject@version`` the record was validated against; set by the
    validation pipeline, never by a spider."""

    def to_dict(self) -> dict:
        """A JSON-ready dict in schema field order (dates as ISO strings)."""
        return {
            "url": self.url,
            "canonical_url": self.canonical_url,
            "site": self.site,
            "article_id": self.article_id,
            "language": self.language,
            "headline": self.headline,
            "authors": list(self.authors),
            "date_published": self.date_published,
            "publication_date": self.publication_date.isoformat() if self.publication_date else None,
            "date_modified": self.date_modified,
            "description": self.description,
            "image": self.image,
            "body": self.body,
            "tickers": list(self.tickers),
            "related": [story.to_dict() for story in self.related],
            "crawled_at": self.crawled_at,
            "record_schema": self.record_schema,
        }
