"""Typed Parquet and JSONL from real crawls, read back with pyarrow, DuckDB, pandas and polars."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, run_crawl

from broadsheet.exporters.parquet import ParquetBatchWriter
from schemas.arrow import arrow_schema
from schemas.registry import default_registry

LATEST = default_registry().get("article").ref
"""The newest article schema version (a new one lands without touching these tests)."""

UTC = dt.UTC


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    """One listing crawl exported to JSONL and Parquet at once."""
    folder = tmp_path_factory.mktemp("feeds")
    result = run_crawl(folder, "mitrade", "-O", str(folder / "out.parquet"), "-s", "PARQUET_ROW_GROUP_SIZE=4")
    assert result.returncode == 0, result.log[-2000:]
    return result, folder / "out.parquet"


def test_parquet_types_come_from_the_registered_schema(feeds):
    _, parquet = feeds
    registry = default_registry()
    expected = arrow_schema(registry.get("article"), registry)
    schema = pq.read_schema(parquet)
    assert schema.remove_metadata().equals(expected.remove_metadata())
    assert schema.field("date_published").type == pa.timestamp("us", tz="UTC")
    assert schema.field("publication_date").type == pa.date32()
    assert not schema.field("headline").nullable and schema.field("description").nullable
    assert schema.field("related").type.value_type.field("date_published").type == pa.date32()
    assert schema.field("tickers").type == pa.list_(pa.field("element", pa.string(), nullable=False))


def test_parquet_metadata_names_schema_spider_and_versions(feeds):
    _, parquet = feeds
    meta = {k.decode(): v.decode() for k, v in pq.read_schema(parquet).metadata.items()}
    assert meta["broadsheet.schema"] == LATEST
    assert meta["broadsheet.spider"] == "mitrade"
    assert meta["broadsheet.scrapy_version"].startswith("2.")
    assert "broadsheet.project_version" in meta


def test_parquet_streams_row_groups(feeds):
    _, parquet = feeds
    metadata = pq.ParquetFile(parquet).metadata
    assert metadata.num_rows == 6 and metadata.num_row_groups == 2  # PARQUET_ROW_GROUP_SIZE=4


def test_every_value_matches_the_jsonl_of_the_same_crawl(feeds):
    result, parquet = feeds
    rows = {row["url"]: row for row in pq.read_table(parquet).to_pylist()}
    assert set(rows) == {item["url"] for item in result.items}
    for item in result.items:
        row = rows[item["url"]]
        for field, value in item.items():
            got = row[field]
            if field in ("date_published", "crawled_at", "date_modified") and value is not None:
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            elif field == "publication_date":
                value = dt.date.fromisoformat(value)
            elif field == "related":
                value = [dict(r, date_published=dt.date.fromisoformat(r["date_published"])
                              if r["date_published"] else None) for r in value]
            assert got == value, f"{item['url']} {field}"


def test_duckdb_reads_the_parquet_feed(feeds):
    _, parquet = feeds
    rows = duckdb.sql(f"select url, date_published, related[1].date_published as first_related "
                      f"from read_parquet('{parquet}') where article_id = '1129088'").fetchall()
    assert rows == [("https://www.mitrade.com/au/insights/news/live-news/article-8-1129088-20250917",
                     dt.datetime(2025, 9, 17, 6, 41, 12, tzinfo=UTC), dt.date(2024, 12, 17))]


def test_jsonl_is_utf8_one_object_per_line_in_registry_order(feeds):
    result, _ = feeds
    raw = result.out.read_bytes()
    assert "’".encode() in raw and b"\\u2019" not in raw
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 6 and all(json.loads(line) for line in lines)
    order = list(default_registry().get("article").schema["properties"])
    assert all(list(json.loads(line)) == order for line in lines)


def test_first_batch_of_nulls_still_gets_the_schema_types(tmp_path):
    base = json.loads((ROOT / "tests" / "data" / "article_v2.json").read_text(encoding="utf-8"))
    nulls = dict(base, date_published=None, date_modified=None, description=None, image=None,
                 crawled_at=None, language=None, related=[])
    writer = ParquetBatchWriter(str(tmp_path / "n.parquet"), "article@2", {})
    writer.write(nulls)
    writer.close()
    schema = pq.read_schema(tmp_path / "n.parquet")
    assert schema.field("date_modified").type == pa.timestamp("us", tz="UTC")
    assert schema.field("image").type == pa.string()


def test_parquet_cannot_be_appended(crawl, tmp_path):
    target = tmp_path / "x.parquet"
    target.write_bytes(b"PAR1")
    result = crawl("mitrade", "-o", str(target), output=None,
                   urls=["https://www.mitrade.com/au/insights/news/live-news/article-8-1129088-20250917"])
    assert result.returncode == 2 and "Parquet cannot be appended to: use -O or DATASET_URI" in result.log
    assert target.read_bytes() == b"PAR1"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dataset_mode_partitions_manifest_and_second_crawl(tmp_path):
    root = tmp_path / "dataset"
    first = run_crawl(tmp_path / "a", "mitrade", "-s", f"DATASET_URI={root}")
    assert first.returncode == 0
    files_first = {p: _sha(p) for p in root.rglob("*.parquet")}
    assert {p.relative_to(root).parts[:2] for p in files_first} == {
        ("site=mitrade", f"date={d}") for d in ("2024-12-17", "2025-09-17", "2025-12-25", "2026-02-05", "2026-02-06")}
    manifest = json.loads((root / "_manifest.json").read_text())
    crawl_one = manifest["crawls"][0]
    assert crawl_one["schema"] == LATEST and crawl_one["rows"] == 6 and crawl_one["spider"] == "mitrade"
    assert {"crawl_id", "start_time", "end_time", "project_version", "scrapy_version"} <= set(crawl_one)
    for entry in crawl_one["files"]:
        path = root / entry["path"]
        assert _sha(path) == entry["sha256"] and pq.ParquetFile(path).metadata.num_rows == entry["rows"]
        assert path.name.startswith(f"part-{crawl_one['crawl_id']}-")
    assert (root / "_SUCCESS").stat().st_mtime_ns >= (root / "_manifest.json").stat().st_mtime_ns
    assert not list(root.rglob("*.tmp"))

    second = run_crawl(tmp_path / "b", "mitrade", "-s", f"DATASET_URI={root}", "-s", "SCHEMA=article@1")
    assert second.returncode == 0
    assert all(_sha(p) == digest for p, digest in files_first.items()), "the second crawl touched the first's files"
    manifest = json.loads((root / "_manifest.json").read_text())
    assert [c["schema"] for c in manifest["crawls"]] == [LATEST, "article@1"]
    assert (root / "_SUCCESS").read_text().strip() == manifest["crawls"][1]["crawl_id"]

    # DuckDB: one table over both crawls and both schema versions.
    table = duckdb.sql(f"select * from read_parquet('{root}/**/*.parquet', hive_partitioning = true, "
                       f"union_by_name = true)")
    rows = table.fetchall()
    columns = table.columns
    assert len(rows) == 12 and "site" in columns and "date" in columns and "crawled_at" in columns
    by = [dict(zip(columns, row, strict=True)) for row in rows]
    assert sum(1 for r in by if r["record_schema"] == LATEST) == 6
    assert sum(1 for r in by if r["crawled_at"] is None) == 6  # article@1 rows lack the v2 fields
    jsonl = {item["url"]: item for item in first.items}
    for row in by:
        item = jsonl[row["url"]]
        assert row["site"] == item["site"] and str(row["date"]) == item["publication_date"]
        assert row["headline"] == item["headline"] and row["body"] == item["body"]
        assert row["date_published"] == dt.datetime.fromisoformat(item["date_published"].replace("Z", "+00:00"))
        assert [r["url"] for r in row["related"]] == [r["url"] for r in item["related"]]

    # pyarrow: the two versions' schemas unify into one dataset schema.
    files = sorted(str(p) for p in root.rglob("*.parquet"))
    unified = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    dataset = pads.dataset(str(root), format="parquet", partitioning="hive",
                           schema=unified.append(pa.field("site", pa.string())).append(pa.field("date", pa.date32())))
    data = dataset.to_table()
    assert data.num_rows == 12
    assert data.filter(pads.field("record_schema") == LATEST).num_rows == 6

    # pandas and polars, as the README shows them.
    import pandas as pd
    import polars as pl

    frame = pd.read_parquet(root)
    assert len(frame) == 12 and set(frame["site"].astype(str)) == {"mitrade"}
    lazy = pl.scan_parquet(f"{root}/**/*.parquet", hive_partitioning=True, missing_columns="insert",
                           extra_columns="ignore")
    assert lazy.select(pl.len()).collect().item() == 12
