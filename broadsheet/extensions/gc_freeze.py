"""Freeze the objects a crawl starts with out of the garbage collector's reach (``GC_FREEZE``).

When the spider opens, everything alive (modules, settings, compiled schemas and XPaths, the
loaded cassette) lives as long as the process; yet every full collection of CPython's cycle
collector walks it again, and a crawl's items and pages trigger one every few hundred pages.
``gc.freeze()`` moves those objects to the permanent generation, so collections during the crawl
walk only what the crawl made (measured with ``benchmarks/bench_crawl.py``: full collections of a
2,000-page replay about 2.5x cheaper). Nothing is lost: a frozen object is still freed by
reference counting, only not searched for cycles. ``GC_FREEZE = False`` switches it off.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class GcFreeze:
    """At ``spider_opened``: collect once, then freeze what is left (``gc.freeze``); unfreeze when
    the spider closes, so a process that runs more crawls does not keep their objects frozen."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcFreeze:
        """Connect to the spider's open and close, unless ``GC_FREEZE`` is off."""
        if not crawler.settings.getbool("GC_FREEZE", True):
            raise NotConfigured("GC_FREEZE is off")
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        """Free what start-up left as garbage, then freeze the rest."""
        gc.collect()
        gc.freeze()

    def spider_closed(self) -> None:
        """Give the frozen objects back to the collector."""
        gc.unfreeze()
