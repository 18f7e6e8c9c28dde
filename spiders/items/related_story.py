"""The related-story item: one card of the "related news" block on an article page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(slots=True)
class RelatedStory:
    """A story the article page links to in its related-stories block, as the card shows it."""

    url: str
    """Absolute URL of the linked story, as the card links it."""

    headline: str
    """The card's headline, whitespace-normalised."""

    summary: str | None = None
    """The card's summary exactly as shown (the site sometimes truncates it mid-word)."""

    author: str | None = None
    """The name after the card's localised "Author" label; None when the card shows none."""

    date_published: dt.date | None = None
    """Calendar date the card shows (YYYY-MM-DD, in the site's local time); None when the card's
    date cannot be read."""

    date_text: str | None = None
    """The card's date as displayed ("Feb 05, Thu", "5 hours ago"), for audit and re-parsing."""

    def to_dict(self) -> dict:
        """A JSON-ready dict in schema field order."""
        return {
            "url": self.url,
            "headline": self.headline,
            "summary": self.summary,
            "author": self.author,
            "date_published": self.date_published.isoformat() if self.date_published else None,
            "date_text": self.date_text,
        }
