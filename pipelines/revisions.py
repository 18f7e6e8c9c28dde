"""The export decision: only records that are new or whose content changed reach the dataset.

Runs after schema validation (an invalid item is quarantined, never counted as exported). For
each record the crawl's run (``broadsheet/state/run.py``) compares the content fields with what
the crawl state holds for the same story and language (``broadsheet/state/changes.py``):

- new: exported with ``revision`` 1, ``changed_fields`` null and its ``story`` key;
- changed: exported again with ``revision`` + 1, ``changed_fields`` (the content fields that
  differ) and, when the page states no modification time, ``date_modified`` from the sitemap;
- unchanged (related cards, hreflang links or the fetch time may differ): dropped, its page
  skipped as ``unchanged`` (``broadsheet/pages/skipped/unchanged``); the state still learns its new signals.

Without ``CRAWL_STATE`` the state lives in memory for the run: every record is new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from broadsheet.extensions.outcomes import ItemSkipped
from broadsheet.state.run import IncrementalRun, for_crawler
from broadsheet.state.stories import warm_up

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class RevisionPipeline:
    """Drops unchanged records; numbers revisions; names what changed."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RevisionPipeline:
        """Build the pipeline for a crawl, with the story index's MinHash ready (``stories.warm_up``)."""
        warm_up()
        return cls(crawler)

    @property
    def run(self) -> IncrementalRun:
        """The crawl's run (opened by the crawl-state extension, or in memory)."""
        return for_crawler(self.crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """The record, numbered, if new or revised; otherwise dropped as unchanged."""
        if not self.run.export(item):
            raise ItemSkipped("unchanged", f"{item.get('url')} is unchanged since the last run")
        self.stats.inc_value(f"broadsheet/revisions/{'revised' if (item.get('revision') or 1) > 1 else 'new'}")
        return item
