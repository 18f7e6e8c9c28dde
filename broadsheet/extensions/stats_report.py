"""Writes the crawl's final stats as JSON (``STATS_REPORT_URI``), for CI and downstream checks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from broadsheet.storage.files import write_text_atomically

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


class StatsReport:
    """At spider close, writes every stat and the close reason to ``STATS_REPORT_URI``.

    The path may use ``%(name)s`` (the spider's name). The file is written to a temporary name
    and renamed, so a reader never sees half a report.
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
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the report."""
        stats = {k: _jsonable(v) for k, v in sorted(self.crawler.stats.get_stats().items())}
        write_text_atomically(Path(self.uri % {"name": spider.name}), json.dumps(
            {"spider": spider.name, "finish_reason": reason, "stats": stats}, indent=2, ensure_ascii=False))
