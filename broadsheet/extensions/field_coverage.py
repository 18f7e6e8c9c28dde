"""Field coverage: the share of scraped items with each field present and non-empty.

Counted over the records the crawl exports (``item_scraped``). A field of a list of objects
(``related.url``) is counted over all the list's elements. Reported in the stats
(``broadsheet/coverage/<field>``, a share between 0 and 1) and, with ``FIELD_COVERAGE_URI``, as a
JSON report (default: beside the first local feed, ``<feed>.coverage.json``).

``FIELD_COVERAGE_MIN`` maps fields to minimum shares (``{"authors": 0.95, "related.date_published":
0.9}``); a spider sets its own in ``custom_settings``. Below a minimum, the crawl finishes with
close reason ``failed_field_coverage`` and ``scrapy crawl`` exits 1. A crawl that exported no item
has no coverage to judge: it is reported, not failed.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from broadsheet.extensions.gates import connect_gate
from broadsheet.items import as_record
from broadsheet.storage.commit import commit_report, effective_reason, when_outputs_settled
from broadsheet.storage.files import beside_feed

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FAILED_FIELD_COVERAGE = "failed_field_coverage"


def filled(value: Any) -> bool:
    """Present and non-empty: not None, not an empty or blank string, not an empty list."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


class FieldCoverage:
    """Counts field coverage and enforces ``FIELD_COVERAGE_MIN``."""

    def __init__(self, crawler: Crawler, minimums: dict[str, float]):
        self.crawler = crawler
        self.minimums = minimums
        self.items = 0
        self.present: Counter[str] = Counter()
        self.totals: Counter[str] = Counter()  # nested fields: number of elements seen

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FieldCoverage:
        """Reads ``FIELD_COVERAGE_ENABLED`` and ``FIELD_COVERAGE_MIN`` (checked by the preflight first:
        fields of the schema, shares between 0 and 1)."""
        settings = crawler.settings
        if not settings.getbool("FIELD_COVERAGE_ENABLED", True):
            raise NotConfigured("FIELD_COVERAGE_ENABLED is off")
        minimums = {str(k): float(v) for k, v in settings.getdict("FIELD_COVERAGE_MIN").items()}
        extension = cls(crawler, minimums)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        connect_gate(crawler, extension.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        when_outputs_settled(crawler, extension.write_report)
        return extension

    def item_scraped(self, item: Any) -> None:
        """Count one exported record's fields."""
        record = as_record(item)
        self.items += 1
        for name, value in record.items():
            self.present[name] += filled(value)  # a never-filled field is still reported, at 0
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                for element in value:
                    for key, sub in element.items():
                        nested = f"{name}.{key}"
                        self.totals[nested] += 1
                        self.present[nested] += filled(sub)

    def shares(self) -> dict[str, float]:
        """Coverage share per field, top-level then nested, in first-seen order."""
        result = {}
        for name in self.present:
            total = self.totals.get(name, self.items)
            result[name] = self.present[name] / total if total else 0.0
        for name in self.minimums:
            result.setdefault(name, 0.0)
        return result

    def below_minimum(self) -> dict[str, tuple[float, float]]:
        """Fields whose share is below their minimum: field -> (share, minimum)."""
        if not self.items:
            return {}
        shares = self.shares()
        return {name: (shares[name], low) for name, low in self.minimums.items() if shares[name] < low}

    def spider_idle(self, spider: Spider) -> None:
        """Before the crawl finishes, fail it if a field's coverage is below its minimum."""
        failures = self.below_minimum()
        if failures:
            logger.error("Field coverage below FIELD_COVERAGE_MIN over %(items)d items: %(failures)s",
                         {"items": self.items, "failures": ", ".join(
                             f"{name} {share:.1%} < {low:.1%}" for name, (share, low) in failures.items())})
            raise CloseSpider(FAILED_FIELD_COVERAGE)

    def spider_closed(self, spider: Spider) -> None:
        """Publish the shares as stats."""
        stats = self.crawler.stats
        stats.set_value("broadsheet/coverage/items", self.items)
        for name, share in self.shares().items():
            stats.set_value(f"broadsheet/coverage/{name}", round(share, 4))
        if not self.items:
            logger.warning("No item exported: field coverage not judged")

    def write_report(self) -> None:
        """Write the JSON report under the commit rule, once the feeds are committed or kept (a
        failed crawl's report goes beside the previous one, as ``<report>.failed-<crawl id>``)."""
        spider = self.crawler.spider
        path = self.report_path(spider)
        if path is None:
            return
        shares = self.shares()
        report = {
            "spider": spider.name,
            "finish_reason": effective_reason(self.crawler),
            "items": self.items,
            "fields": {name: {"present": self.present[name], "total": self.totals.get(name, self.items),
                              "share": round(share, 4)} for name, share in shares.items()},
            "minimums": self.minimums,
            "below_minimum": {name: {"share": round(s, 4), "minimum": low}
                              for name, (s, low) in self.below_minimum().items()},
        }
        commit_report(self.crawler, path, json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                      "the coverage report", "set FIELD_COVERAGE_URI to a writable file")

    def report_path(self, spider: Spider) -> Path | None:
        """Where the JSON report goes: ``FIELD_COVERAGE_URI``, else beside the first local feed."""
        settings = self.crawler.settings
        uri = settings.get("FIELD_COVERAGE_URI")
        if uri:
            return Path(uri % {"name": spider.name})
        return beside_feed(settings.getdict("FEEDS"), spider.name, ".coverage.json")
