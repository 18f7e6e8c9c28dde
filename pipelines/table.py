"""Table mode: valid records committed to one Apache Iceberg table that many workers share.

Enabled by ``TABLE_URI`` (a folder for a SQLite SQL catalog, or a catalog URL; see
``broadsheet/table/iceberg.py``). Records are spooled to a local typed Parquet file as they come
(``PARQUET_ROW_GROUP_SIZE`` rows at a time, so memory stays flat) and committed when the crawl
closes, after its feeds (``broadsheet/storage/commit.py``: one commit rule and order for every
output), as one append snapshot whose summary carries ``broadsheet.crawl_id``,
``broadsheet.spider``, ``broadsheet.schema`` (subject@version), ``broadsheet.worker``, the
finish reason and the project and Scrapy versions. Concurrent workers' commits are retried on
conflict (refresh, back off, append again), so none is lost.

A failed crawl (a ``failed_*`` reason, a feed that could not be written too) commits nothing:
its spool is deleted. An interrupted worker (Ctrl-C) commits what it finished: an append replaces
nothing, and what it did not finish goes back to the shared queue. A worker that
dies never commits either; its requests go back to the shared queue (``broadsheet/frontier``).
After a commit the pipeline sends ``table_committed``, which the shared frontier waits for
before it forgets the requests whose records the commit holds.

Settings: ``TABLE_URI``; ``TABLE_NAME`` (default ``broadsheet.articles``);
``TABLE_CATALOG_PROPERTIES`` (dict, extra catalog properties); ``TABLE_SPOOL_DIR`` (default: the
system's temporary folder); ``CRAWL_ID`` (default: a new id per crawl).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from broadsheet.exporters.parquet import ParquetBatchWriter
from broadsheet.provenance import crawl_id, versions, worker_id
from broadsheet.storage.commit import FAILURE_PREFIX, commit_after_feeds, effective_reason
from broadsheet.table import table_committed
from schemas.registry import default_registry

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

OPEN_ATTEMPTS = 6

class TablePipeline:
    """Spools every valid record and commits them to the Iceberg table when the crawl closes."""

    def __init__(self, crawler: Crawler, uri: str):
        from broadsheet.table.iceberg import DEFAULT_TABLE  # pyiceberg: only when TABLE_URI is set

        settings = crawler.settings
        self.crawler = crawler
        self.uri = uri
        self.name = settings.get("TABLE_NAME") or DEFAULT_TABLE
        self.catalog_properties = settings.getdict("TABLE_CATALOG_PROPERTIES")
        self.schema_ref = default_registry().get(settings.get("SCHEMA") or "article").ref
        self.crawl_id = crawl_id(settings)
        self.spool_dir = Path(settings.get("TABLE_SPOOL_DIR") or tempfile.gettempdir())
        self.row_group_size = settings.getint("PARQUET_ROW_GROUP_SIZE", 10_000)
        self.spool: ParquetBatchWriter | None = None
        self.spool_path: Path | None = None
        self.table = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TablePipeline:
        """Enabled by a non-empty ``TABLE_URI``."""
        uri = crawler.settings.get("TABLE_URI")
        if not uri:
            raise NotConfigured("TABLE_URI is empty: no Iceberg table")
        pipeline = cls(crawler, uri)
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        commit_after_feeds(crawler, pipeline.commit)
        return pipeline

    def spider_opened(self, spider: Spider) -> None:
        """Open (create, evolve) the table before any record, so a bad catalog fails early."""
        from broadsheet.table.iceberg import open_catalog, open_table

        for attempt in range(OPEN_ATTEMPTS):  # workers starting together race to create the catalog and table
            try:
                self.table = open_table(open_catalog(self.uri, self.catalog_properties), self.name, self.schema_ref)
                break
            except Exception as exc:
                if attempt == OPEN_ATTEMPTS - 1:
                    raise RuntimeError(f"TABLE_URI={self.uri!r}: cannot open table {self.name}: {exc}") from exc
                logger.warning("Opening %(table)s failed (%(error)s), retrying", {"table": self.name, "error": exc})
                time.sleep(0.1 * 2 ** attempt)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".broadsheet-{self.crawl_id}-", suffix=".parquet", dir=self.spool_dir)
        os.close(fd)
        self.spool_path = Path(name)
        self.spool = ParquetBatchWriter(name, self.schema_ref, {}, self.row_group_size, "zstd")
        logger.info("Records go to Iceberg table %(table)s at %(uri)s when the crawl closes",
                    {"table": self.name, "uri": self.uri})

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Spool the record."""
        self.spool.write(item)
        return item

    def commit(self) -> None:
        """Commit the spooled records once the feeds are settled, unless the crawl failed."""
        if self.spool is None:
            return
        self.spool.close()
        rows = self.spool.rows
        stats = self.crawler.stats
        spider = self.crawler.spider
        reason = effective_reason(self.crawler)
        try:
            if reason.startswith(FAILURE_PREFIX):
                logger.warning("Crawl %(crawl)s finished %(reason)s: its %(rows)d rows are not committed to %(table)s",
                               {"crawl": self.crawl_id, "reason": reason, "rows": rows, "table": self.name})
                stats.set_value("broadsheet/table/discarded_rows", rows)
                return
            if rows:
                import pyarrow.parquet as pq

                from broadsheet.table.iceberg import append

                started = time.perf_counter()
                snapshot = append(self.table, pq.read_table(self.spool_path), self._summary(spider, reason, rows))
                seconds = time.perf_counter() - started
                stats.set_value("broadsheet/table/commit_seconds", round(seconds, 3))
                stats.set_value("broadsheet/table/snapshot_id", snapshot)
                logger.info("Committed %(rows)d rows to %(table)s in %(seconds).3fs: snapshot %(snapshot)d",
                            {"rows": rows, "table": self.name, "seconds": seconds, "snapshot": snapshot})
            stats.set_value("broadsheet/table/rows", rows)
            self.crawler.signals.send_catch_log(table_committed, rows=rows)
        finally:
            self.spool_path.unlink(missing_ok=True)

    def _summary(self, spider: Spider, reason: str, rows: int) -> dict[str, str]:
        return {"broadsheet.crawl_id": self.crawl_id, "broadsheet.spider": spider.name,
                "broadsheet.schema": self.schema_ref, "broadsheet.worker": worker_id(),
                "broadsheet.finish_reason": reason, "broadsheet.rows": str(rows),
                **{f"broadsheet.{k}": v for k, v in versions().items()}}
