"""One record per story and language: drops an item whose canonical URL was already exported."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class DeduplicationPipeline:
    """Drops an article whose ``(site, canonical_url)`` this crawl already passed on.

    Two locales of one story in one language declare the same canonical URL and are one
    record; a translation declares its own and is its own record. The spider already prefers the
    canonical page when it crawls both; this pipeline is the guarantee whatever the order.
    """

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.seen: dict[tuple[str, str], str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicationPipeline:
        """Build the pipeline for a crawl."""
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        """Pass the first item per canonical URL; drop later ones, counted and logged."""
        key = (getattr(item, "site", ""), getattr(item, "canonical_url", "") or getattr(item, "url", ""))
        first = self.seen.setdefault(key, item.url)
        if first != item.url:
            self.stats.inc_value("broadsheet/pages/skipped/duplicate_canonical")
            raise DropItem(f"{item.url} is the same story as {first} (canonical {key[1]})")
        return item
