"""Writes the crawl's final stats as JSON (``STATS_REPORT_URI``), for CI and downstream checks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from broadsheet.storage.commit import commit_report, effective_reason, when_outputs_settled

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


class StatsReport:
    """At close, once the feeds are committed or kept, writes every stat and the close reason to
    ``STATS_REPORT_URI``.

    The path may use ``%(name)s`` (the spider's name). The report follows the commit rule
    (``broadsheet.storage.commit``): a failed crawl's report is kept beside as
    ``<report>.failed-<crawl id>`` and the previous one stays; a reader never sees half a report.
    """

    def __init__(self, crawler: Crawler, uri: str):
        self.crawler = crawler
        self.uri = uri

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsReport:
        """Enabled by a non-empty ``STATS_REPORT_URI``."""
        uri = crawler.settings.get("STATS_REPORT_URI")
        if not uri:
            raise NotConfigured  # off by default: Scrapy logs only NotConfigured with a reason
        ext = cls(crawler, uri)
        when_outputs_settled(crawler, ext.write)
        return ext

    def write(self) -> None:
        """Write the report (after the feeds, so that a failed feed write fails it too)."""
        name = self.crawler.spider.name
        reason = effective_reason(self.crawler)
        stats = {k: _jsonable(v) for k, v in sorted(self.crawler.stats.get_stats().items())}
        text = json.dumps({"spider": name, "finish_reason": reason, "stats": stats}, indent=2, ensure_ascii=False)
        commit_report(self.crawler, Path(self.uri % {"name": name}), text, "the stats report",
                      "set STATS_REPORT_URI to a writable file")
