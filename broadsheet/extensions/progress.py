"""The progress line of a long crawl, every ``LOGSTATS_INTERVAL`` seconds, in place of Scrapy's.

``Progress: 1,204 URLs, 1,100 exported, 3 quarantined, 60 skipped, 41 failed (312 pages/min)``:
the URLs requested so far and how many have ended in each outcome (``broadsheet/pages/...``, see
``broadsheet.extensions.outcomes``; the rest are still on their way or listing pages), and the
responses per minute over the last interval. It replaces Scrapy's ``LogStats`` (switched off in
the settings) and keeps its final ``responses_per_minute`` and ``items_per_minute`` stats.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.extensions.logstats import LogStats

from broadsheet.extensions.outcomes import PAGES, REQUESTED

if TYPE_CHECKING:
    from scrapy import Spider

logger = logging.getLogger(__name__)

OUTCOMES = ("exported", "quarantined", "skipped", "failed")


class Progress(LogStats):
    """Scrapy's periodic stats line, told in the crawl's outcomes."""

    def outcome_counts(self) -> dict[str, int]:
        """URLs that have ended in each outcome so far (all reasons of one outcome together)."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for key, value in self.stats.get_stats().items():
            kind = key[len(PAGES) + 1:].split("/", 1)[0] if key.startswith(f"{PAGES}/") else None
            if kind in counts and isinstance(value, int):
                counts[kind] += value
        return counts

    def log(self, spider: Spider) -> None:
        """Log one progress line."""
        self.calculate_stats()
        counts = self.outcome_counts()
        logger.info("Progress: %(urls)s URLs, %(exported)s exported, %(quarantined)s quarantined, "
                    "%(skipped)s skipped, %(failed)s failed (%(rate)s pages/min)",
                    {"urls": f"{self.stats.get_value(REQUESTED, 0):,}", "rate": f"{self.prate:,.0f}",
                     **{kind: f"{count:,}" for kind, count in counts.items()}}, extra={"spider": spider})
