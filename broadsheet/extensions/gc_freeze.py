"""Freeze the objects a crawl starts with out of the garbage collector's reach (``GC_FREEZE``).

When the spider opens, everything alive (modules, settings, compiled schemas and XPaths, the
loaded cassette) lives as long as the process; yet every full collection of CPython's cycle
collector walks it again, and a crawl's items and pages trigger one every few hundred pages.
``gc.freeze()`` moves those objects to the permanent generation, so collections during the crawl
walk only what the crawl made (measured with ``benchmarks/bench_crawl.py``: full collections of a
2,000-page replay about 2.5x cheaper). Nothing is lost: a frozen object is still freed by
reference counting, only not searched for cycles. While the spider runs, the youngest generation is
collected every ``YOUNG_THRESHOLD`` new objects rather than CPython's 700: a page makes thousands (its marks,
blocks and candidates), so each was searched twice or more and promoted, and every tenth young collection
ended in a full one (870-page article crawl: 1,439 young, 130 middle and 9 full collections, 0.57 s, became
63, 5 and 1, 0.26 s). ``GC_FREEZE = False`` switches both off.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


YOUNG_THRESHOLD = 10_000
"""New objects between two collections of the youngest generation while a spider runs (CPython's default: 700)."""


class GcFreeze:
    """At ``spider_opened``: collect once, then freeze what is left (``gc.freeze``) and collect the young
    generation less often (``YOUNG_THRESHOLD``); when the spider closes, unfreeze and put the thresholds back,
    so a process that runs more crawls does not keep their objects frozen."""

    def __init__(self) -> None:
        self._thresholds: tuple[int, ...] | None = None

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
        """Free what start-up left as garbage, then freeze the rest; collect the young generation less often."""
        gc.collect()
        gc.freeze()
        self._thresholds = gc.get_threshold()
        gc.set_threshold(max(YOUNG_THRESHOLD, self._thresholds[0]), *self._thresholds[1:])

    def spider_closed(self) -> None:
        """Give the frozen objects back to the collector, and its thresholds."""
        gc.unfreeze()
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
