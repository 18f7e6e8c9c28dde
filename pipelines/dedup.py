"""One record per story and language: drops an item whose canonical URL was already exported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from broadsheet.extensions.outcomes import ItemSkipped

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from broadsheet.frontier.state import SharedCrawl


class DeduplicationPipeline:
    """Drops an article whose ``(site, canonical_url)`` this crawl already passed on.

    Two locales of one story in one language declare the same canonical URL and are one
    record; a translation declares its own and is its own record. The spider already prefers the
    canonical page when it crawls both; this pipeline is the guarantee whatever the order.
    With ``REDIS_URL`` the story keys are claimed in the shared crawl's Redis set, so a story is
    exported once across all workers (a worker that dies without committing gives its claims back).
    """

    def __init__(self, shared: SharedCrawl | None = None) -> None:
        self.seen: dict[tuple[str, str], str] = {}
        self.shared = shared

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicationPipeline:
        """With ``REDIS_URL``, the story set is the shared crawl's, in Redis, for all workers."""
        if not crawler.settings.get("REDIS_URL"):
            return cls()
        from broadsheet.frontier.state import SharedCrawl

        return cls(SharedCrawl.from_settings(crawler.settings, crawler.spidercls.name))

    def process_item(self, item: Any) -> Any:
        """Pass the first item per canonical URL; later ones are skipped pages (``duplicate_locale``)."""
        key = (getattr(item, "site", ""), getattr(item, "canonical_url", "") or getattr(item, "url", ""))
        first = self.seen.setdefault(key, item.url)
        if self.shared is not None and first == item.url and not self.shared.claim_story("\t".join(key)):
            first = "another worker's copy"
        if first != item.url:
            raise ItemSkipped("duplicate_locale", f"{item.url} is the same story as {first} (canonical {key[1]})")
        return item
