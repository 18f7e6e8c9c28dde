"""Dataset mode: valid records as a Hive-partitioned Parquet dataset that crawls add to.

Enabled by ``DATASET_URI`` (a folder). Each record goes to
``site=<site>/date=<publication_date>/part-<crawl id>-<n>.parquet``; ``site`` lives in the path
only (the Hive convention: readers add it back as a column), every other field is in the file.

The crawl writes its files into its staging folder (``_staging/<crawl id>/``, invisible to
readers) and publishes them only when it succeeded, after its feeds (a feed that fails to commit
keeps the rows back too), with its entry in ``_manifest.json`` and ``_SUCCESS`` last
(``broadsheet.storage.dataset``: the commit journal, the lock that makes concurrent crawls safe,
recovery of killed crawls). A crawl that fails a quality gate publishes no row: its files go to
``_failed/<crawl id>/``. A write error (the folder is a file, a full disk) fails the crawl with
``failed_write`` in one line; the items still reach the feeds.

Settings: ``DATASET_URI``; ``DATASET_ROWS_PER_FILE`` (default 1,000,000) starts a new part
file; ``DATASET_LOCK_TIMEOUT`` (seconds, default 600) bounds the wait for another crawl's
commit; ``PARQUET_ROW_GROUP_SIZE`` and ``PARQUET_COMPRESSION`` as for the Parquet feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import Timeout
from scrapy import signals
from scrapy.exceptions import NotConfigured

from broadsheet.exporters.parquet import ParquetBatchWriter
from broadsheet.provenance import versions
from broadsheet.storage.commit import commit_after_feeds, crawl_id, effective_reason, kept, succeeded, write_failed
from broadsheet.storage.dataset import Dataset, Staging

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

PARTITION_FIELD = "site"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _PartFile:
    """One part file being written in the staging folder, and where it will be published."""

    def __init__(self, relative: str, staged: Path, writer_args: tuple):
        self.relative = relative
        self.staged = staged
        self.writer = ParquetBatchWriter(str(staged), *writer_args, drop=(PARTITION_FIELD,))

    def close(self) -> dict[str, Any]:
        """Finish the file; its manifest entry."""
        self.writer.close()
        site, day = (p.split("=", 1)[1] for p in self.relative.split("/")[:2])
        return {"path": self.relative, "rows": self.writer.rows, "sha256": _sha256(self.staged),
                "partition": {"site": site, "date": day}}


class DatasetPipeline:
    """Writes every valid record into the partitioned dataset at ``DATASET_URI``."""

    def __init__(self, crawler: Crawler, root: Path):
        import pyarrow as pa  # only when DATASET_URI is set: Scrapy loads every pipeline class

        settings = crawler.settings
        self.crawler = crawler
        self.write_errors = (OSError, pa.ArrowException, Timeout)
        self.dataset = Dataset(root, settings.getfloat("DATASET_LOCK_TIMEOUT", 600))
        self.schema_ref = settings.get("SCHEMA") or "article"
        self.rows_per_file = settings.getint("DATASET_ROWS_PER_FILE", 1_000_000)
        self.row_group_size = settings.getint("PARQUET_ROW_GROUP_SIZE", 10_000)
        self.compression = settings.get("PARQUET_COMPRESSION", "zstd")
        self.started = dt.datetime.now(dt.UTC)
        self.crawl_id = ""
        self.staging: Staging | None = None
        self.broken = False
        self.open: dict[tuple[str, str], _PartFile] = {}
        self.closed: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatasetPipeline:
        """Enabled by a non-empty ``DATASET_URI``."""
        uri = crawler.settings.get("DATASET_URI")
        if not uri:
            raise NotConfigured  # off by default
        pipeline = cls(crawler, Path(uri))
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        commit_after_feeds(crawler, pipeline.commit)
        return pipeline

    def _failed(self, exc: BaseException) -> None:
        if not self.broken:
            self.broken = True
            write_failed(self.crawler, f"DATASET_URI={self.dataset.root}", exc,
                         "give a folder you can write to, with space")

    def spider_opened(self, spider: Spider) -> None:
        """Open this crawl's staging folder (a folder that cannot be written fails the crawl now)."""
        self.crawl_id = crawl_id(self.crawler)
        try:
            self.staging = self.dataset.staging(self.crawl_id)
        except self.write_errors as exc:
            self._failed(exc)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Add the record to its partition's current part file."""
        if self.broken or self.staging is None:
            return item
        key = (str(item[PARTITION_FIELD]), str(item["publication_date"]))
        try:
            part = self.open.get(key)
            if part is None:
                part = self.open[key] = self._new_part(key)
            part.writer.write(item)
            if part.writer.rows + len(part.writer.buffer) >= self.rows_per_file:
                self.closed.append(self.open.pop(key).close())
        except self.write_errors as exc:
            self._failed(exc)
        return item

    def _new_part(self, key: tuple[str, str]) -> _PartFile:
        site, day = key
        prefix = f"site={site}/date={day}/"
        number = sum(1 for f in self.closed if f["path"].startswith(prefix))
        relative = f"{prefix}part-{self.crawl_id}-{number}.parquet"
        spider = self.crawler.spider.name if self.crawler.spider else ""
        metadata = {"broadsheet.spider": spider, "broadsheet.crawl_id": self.crawl_id,
                    **{f"broadsheet.{k}": v for k, v in versions().items()}}
        return _PartFile(relative, self.staging.path(relative),
                         (self.schema_ref, metadata, self.row_group_size, self.compression))

    def _entry(self, spider: Spider, reason: str) -> dict[str, Any]:
        return {
            "crawl_id": self.crawl_id,
            "schema": self.crawler.stats.get_value("broadsheet/schema") or self.schema_ref,
            "spider": spider.name,
            "finish_reason": reason,
            "start_time": self.started.isoformat(),
            "end_time": dt.datetime.now(dt.UTC).isoformat(),
            **versions(),
            "rows": sum(f["rows"] for f in self.closed),
            "files": self.closed,
        }

    def commit(self) -> None:
        """After the feeds: commit the crawl's files, manifest entry and ``_SUCCESS`` if it
        succeeded; else set them aside."""
        spider = self.crawler.spider
        if self.staging is None:
            return
        try:
            for part in self.open.values():
                self.closed.append(part.close())
        except self.write_errors as exc:
            self._failed(exc)
        self.open.clear()
        reason = effective_reason(self.crawler)
        entry = self._entry(spider, reason)
        try:
            if self.broken:
                self.staging.fail(reason, entry, keep=False)
            elif not succeeded(self.crawler, reason):
                where = self.staging.fail(reason, entry)
                kept(self.crawler, f"dataset {self.dataset.root} ({entry['rows']} rows)", where, reason)
            else:
                self.staging.commit(entry)
                self.crawler.stats.set_value("broadsheet/dataset/files", len(self.closed))
                logger.info("Dataset %(root)s: committed crawl %(id)s, %(rows)d rows in %(files)d files",
                            {"root": self.dataset.root, "id": self.crawl_id, "rows": entry["rows"],
                             "files": len(self.closed)})
        except self.write_errors as exc:
            self._failed(exc)
