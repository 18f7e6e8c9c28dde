"""Dataset mode: valid records as a Hive-partitioned Parquet dataset that crawls add to.

Enabled by ``DATASET_URI`` (a folder). Each record goes to
``site=<site>/date=<publication_date>/part-<crawl id>-<n>.parquet``; ``site`` lives in the path
only (the Hive convention: readers add it back as a column), every other field is in the file.

A crawl writes its files under temporary names (``.part-….parquet.tmp``) and, when it closes,
renames them, then rewrites ``_manifest.json`` (every crawl's subject@version, files with row
counts and sha256, crawl id, start and end, spider, project and Scrapy versions) and writes
``_SUCCESS`` last. A crawl that dies leaves only temporary files: the dataset still reads as the
previous crawls left it. A second crawl adds files and never touches the first crawl's.

Settings: ``DATASET_URI``; ``DATASET_ROWS_PER_FILE`` (default 1,000,000) starts a new part
file; ``PARQUET_ROW_GROUP_SIZE`` and ``PARQUET_COMPRESSION`` as for the Parquet feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from broadsheet.exporters.parquet import ParquetBatchWriter
from broadsheet.provenance import versions
from broadsheet.storage.files import write_text_atomically

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

MANIFEST = "_manifest.json"
SUCCESS = "_SUCCESS"
PARTITION_FIELD = "site"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _PartFile:
    """One part file being written: its writer and where it will be published."""

    def __init__(self, final: Path, writer_args: tuple):
        self.final = final
        self.tmp = final.with_name(f".{final.name}.tmp")
        final.parent.mkdir(parents=True, exist_ok=True)
        self.writer = ParquetBatchWriter(str(self.tmp), *writer_args, drop=(PARTITION_FIELD,))

    def publish(self) -> int:
        self.writer.close()
        os.replace(self.tmp, self.final)
        return self.writer.rows


class DatasetPipeline:
    """Writes every valid record into the partitioned dataset at ``DATASET_URI``."""

    def __init__(self, crawler: Crawler, root: Path):
        settings = crawler.settings
        self.crawler = crawler
        self.root = root
        self.schema_ref = settings.get("SCHEMA") or "article"
        self.rows_per_file = settings.getint("DATASET_ROWS_PER_FILE", 1_000_000)
        self.row_group_size = settings.getint("PARQUET_ROW_GROUP_SIZE", 10_000)
        self.compression = settings.get("PARQUET_COMPRESSION", "zstd")
        self.started = dt.datetime.now(dt.UTC)
        self.crawl_id = f"{self.started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        self.open: dict[tuple[str, str], _PartFile] = {}
        self.counts: dict[tuple[str, str], int] = {}
        self.published: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatasetPipeline:
        """Enabled by a non-empty ``DATASET_URI``."""
        uri = crawler.settings.get("DATASET_URI")
        if not uri:
            raise NotConfigured  # off by default
        pipeline = cls(crawler, Path(uri))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Add the record to its partition's current part file."""
        key = (str(item[PARTITION_FIELD]), str(item["publication_date"]))
        part = self.open.get(key)
        if part is None:
            part = self.open[key] = self._new_part(key)
        part.writer.write(item)
        self.counts[key] = self.counts.get(key, 0) + 1
        if part.writer.rows + len(part.writer.buffer) >= self.rows_per_file:
            self._publish(self.open.pop(key))
        return item

    def _new_part(self, key: tuple[str, str]) -> _PartFile:
        site, day = key
        number = sum(1 for f in self.published if f["partition"] == {"site": site, "date": day})
        final = self.root / f"site={site}" / f"date={day}" / f"part-{self.crawl_id}-{number}.parquet"
        spider = self.crawler.spider.name if self.crawler.spider else ""
        metadata = {"broadsheet.spider": spider, "broadsheet.crawl_id": self.crawl_id,
                    **{f"broadsheet.{k}": v for k, v in versions().items()}}
        return _PartFile(final, (self.schema_ref, metadata, self.row_group_size, self.compression))

    def _publish(self, part: _PartFile) -> None:
        rows = part.publish()
        relative = part.final.relative_to(self.root)
        site, day = (p.split("=", 1)[1] for p in relative.parts[:2])
        self.published.append({"path": relative.as_posix(), "rows": rows, "sha256": _sha256(part.final),
                               "partition": {"site": site, "date": day}})

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Publish the part files, then the manifest, then ``_SUCCESS``."""
        for part in self.open.values():
            self._publish(part)
        self.open.clear()
        manifest_path = self.root / MANIFEST
        manifest = (json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists()
                    else {"format": "parquet", "partitioning": ["site", "date"], "crawls": []})
        manifest["crawls"].append({
            "crawl_id": self.crawl_id,
            "schema": self.crawler.stats.get_value("broadsheet/schema") or self.schema_ref,
            "spider": spider.name,
            "finish_reason": reason,
            "start_time": self.started.isoformat(),
            "end_time": dt.datetime.now(dt.UTC).isoformat(),
            **versions(),
            "rows": sum(f["rows"] for f in self.published),
            "files": self.published,
        })
        self.root.mkdir(parents=True, exist_ok=True)
        write_text_atomically(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        write_text_atomically(self.root / SUCCESS, self.crawl_id + "\n")
        self.crawler.stats.set_value("broadsheet/dataset/files", len(self.published))
