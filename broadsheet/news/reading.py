"""``Reading``: what reading one article page gave, wherever it was read.

A spider reads an article page in ``NewsSpider.read_article``: in the crawl's own process, or in an
extraction worker (``broadsheet.middlewares.extraction``), which hands the finished reading to the
page's callback in ``request.meta[READING]``. The callback turns it into the page's one outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

READING = "broadsheet_reading"
"""``request.meta`` key of a page's ``Reading`` when an extraction worker read it."""


@dataclass
class Reading:
    """One article page read: its item, or why it is skipped (``skipped``) or failed (``failed``,
    with ``detail``), and the stats the reading counted where the crawl's stats could not see
    them (a worker's; empty for a page read in the crawl's process, which counted them already)."""

    article: Any = None
    skipped: str | None = None
    failed: str | None = None
    detail: str = ""
    stats: dict[str, int] = field(default_factory=dict)
