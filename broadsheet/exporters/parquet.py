"""Parquet export typed from the registered schema: ``scrapy crawl mitrade -O out.parquet``.

Settings:

- ``SCHEMA``: the subject@version whose Arrow mapping types the file (the one items were
  validated against).
- ``PARQUET_ROW_GROUP_SIZE``: rows per row group (default 10,000); memory stays flat because
  at most one row group is held at a time.
- ``PARQUET_COMPRESSION``: codec (default ``zstd``).

The file's key-value metadata holds ``broadsheet.schema`` (subject@version), the schema ``$id``,
``broadsheet.spider``, ``broadsheet.project_version`` and ``broadsheet.scrapy_version``.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.exporters import BaseItemExporter

from broadsheet.items import as_record
from broadsheet.provenance import versions
from schemas.registry import default_registry

if TYPE_CHECKING:
    import pyarrow as pa
    from scrapy.crawler import Crawler

# pyarrow (and numpy under it) is imported where a Parquet file is written: Scrapy loads every
# FEED_EXPORTERS class for each crawl, and a JSON Lines crawl never needs it.


def _without(schema: pa.Schema, names: tuple[str, ...]) -> pa.Schema:
    for name in names:
        schema = schema.remove(schema.get_field_index(name))
    return schema


class ParquetBatchWriter:
    """Streams records (JSON-ready dicts) into a Parquet file, one row group at a time."""

    def __init__(self, where: Any, schema_ref: str, metadata: dict[str, str], row_group_size: int = 10_000,
                 compression: str = "zstd", drop: tuple[str, ...] = ()):
        """``drop`` leaves fields out of the file (a dataset's partition columns)."""
        import pyarrow.parquet as pq

        from schemas.arrow import arrow_schema

        registry = default_registry()
        version = registry.get(schema_ref)
        self.schema = _without(arrow_schema(version, registry, metadata=metadata), drop)
        self.transport = _without(arrow_schema(version, registry, transport=True), drop)
        self.names = self.schema.names
        self.row_group_size = row_group_size
        self.writer = pq.ParquetWriter(where, self.schema, compression=compression)
        self.buffer: list[dict[str, Any]] = []
        self.rows = 0

    def write(self, record: dict[str, Any]) -> None:
        """Buffer one record; a full buffer becomes a row group."""
        self.buffer.append(record)
        if len(self.buffer) >= self.row_group_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records as one row group."""
        if not self.buffer:
            return
        import pyarrow as pa

        table = pa.Table.from_pylist(self.buffer, schema=self.transport).cast(self.schema)
        self.writer.write_table(table, row_group_size=len(self.buffer))
        self.rows += len(self.buffer)
        self.buffer = []

    def close(self) -> None:
        """Write the last row group and the footer."""
        self.flush()
        self.writer.close()


class ParquetItemExporter(BaseItemExporter):
    """``FEED_EXPORTERS`` ``parquet``: items as typed Parquet rows."""

    def __init__(self, file: IO[bytes], schema_ref: str, metadata: dict[str, str], row_group_size: int,
                 compression: str, **kwargs: Any):
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self._args = (schema_ref, metadata, row_group_size, compression)
        self.writer: ParquetBatchWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: IO[bytes], **kwargs: Any) -> ParquetItemExporter:
        """Schema, row group size and provenance from the crawl's settings."""
        settings = crawler.settings
        metadata = {"broadsheet.spider": crawler.spider.name if crawler.spider else "",
                    **{f"broadsheet.{k}": v for k, v in versions().items()}}
        return cls(file, settings.get("SCHEMA") or "article", metadata,
                   settings.getint("PARQUET_ROW_GROUP_SIZE", 10_000),
                   settings.get("PARQUET_COMPRESSION", "zstd"), **kwargs)

    def start_exporting(self) -> None:
        """Open the Parquet writer (the schema is known before any item)."""
        self.writer = ParquetBatchWriter(self.file, *self._args)

    def export_item(self, item: Any) -> None:
        """Add one record."""
        self.writer.write(as_record(item))

    def finish_exporting(self) -> None:
        """Flush the last row group and write the footer."""
        self.writer.close()


def concatenate(sources: list[Path], out: IO[bytes]) -> None:
    """Write the rows of Parquet files of one schema into ``out`` as one file, row group by row
    group (memory stays flat); the schema and metadata are the last file's."""
    if not sources:
        return
    import pyarrow.parquet as pq

    schema = pq.read_schema(sources[-1])
    with pq.ParquetWriter(out, schema) as writer:
        for source in sources:
            parquet = pq.ParquetFile(source)
            if not parquet.schema_arrow.remove_metadata().equals(schema.remove_metadata()):
                raise ValueError(f"{source}: its Parquet schema differs from {sources[-1]}'s; they cannot be "
                                 "one file (did SCHEMA change between runs of this JOBDIR?)")
            for group in range(parquet.num_row_groups):
                writer.write_table(parquet.read_row_group(group))
