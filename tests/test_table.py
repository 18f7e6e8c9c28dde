"""The Iceberg table (TABLE_URI): real crawls commit to a SQLite-catalogued table, read back with
pyiceberg, DuckDB (through Arrow) and polars; schema evolution, time travel, failed crawls and
concurrent writers."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import re
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from conftest import ROOT
from duckdb_extensions import import_extension

from broadsheet.table.iceberg import append, open_catalog, open_table, table_schema
from schemas.registry import default_registry

pytestmark = pytest.mark.crawl
os.environ.setdefault("POLARS_ICEBERG_PLANNER", "pyiceberg")  # polars_iceberg is not installed

NOT_ALL_MODIFIED = json.dumps({"headline": 1.0, "date_modified": 1.0})  # the capture has no date_modified


def load(uri: Path):
    return open_catalog(str(uri)).load_table("broadsheet.articles")


def test_a_crawl_commits_one_snapshot_with_its_provenance(crawl, tmp_path):
    result = crawl("mitrade", "-s", f"TABLE_URI={tmp_path / 'table'}", "-s", "CRAWL_ID=crawl-1")
    assert result.returncode == 0, result.log[-2000:]
    assert (tmp_path / "table" / "catalog.db").exists()
    table = load(tmp_path / "table")
    snapshot = table.current_snapshot()
    summary = snapshot.summary.additional_properties
    assert summary["broadsheet.crawl_id"] == "crawl-1"
    assert summary["broadsheet.spider"] == "mitrade"
    assert summary["broadsheet.schema"] == default_registry().get("article").ref
    assert summary["added-records"] == "6"
    assert [f.name for f in table.spec().fields] == ["site", "publication_date"]
    rows = table.scan().to_arrow()
    assert sorted(rows["url"].to_pylist()) == sorted(item["url"] for item in result.items)
    assert rows.schema.field("date_published").type == pa.timestamp("us", tz="UTC")
    assert rows.schema.field("publication_date").type == pa.date32()

    # Analysts: DuckDB over the scan's Arrow table, polars' scan_iceberg.
    arrow = table.scan(row_filter="site == 'mitrade'").to_arrow()
    per_day = duckdb.from_arrow(arrow).aggregate("publication_date, count(*) n").fetchall()
    assert sum(n for _, n in per_day) == 6
    assert pl.scan_iceberg(table).select(pl.len()).collect().item() == 6


def test_the_readme_table_example_runs(crawl, tmp_path, capsys):
    uri = tmp_path / "table"
    assert crawl("mitrade", "-s", f"TABLE_URI={uri}").returncode == 0
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "scan_iceberg" in block)
    exec(code.replace("/abs/path/data/table", str(uri)).replace("data/table", str(uri)), {})
    shown = capsys.readouterr().out
    assert "2026-02-0" in shown  # the per-day counts were shown
    assert "│ mitrade │ 6 │" in re.sub(r" +", " ", shown)  # DuckDB's iceberg_scan read the table


def test_duckdb_reads_a_snapshot_with_its_iceberg_extension_package(crawl, tmp_path):
    uri = tmp_path / "table"
    assert crawl("mitrade", "-s", f"TABLE_URI={uri}").returncode == 0
    table = load(uri)
    con = duckdb.connect(config={"extension_directory": str(tmp_path / "extensions"),
                                 "autoinstall_known_extensions": False})  # nothing is ever downloaded
    import_extension("avro", con=con)
    import_extension("iceberg", con=con)
    snapshot = table.current_snapshot().snapshot_id
    rows = con.sql(f"select canonical_url from iceberg_scan('{table.metadata_location}', "
                   f"snapshot_from_id => {snapshot})").fetchall()
    assert sorted(r[0] for r in rows) == sorted(table.scan().to_arrow()["canonical_url"].to_pylist())


def test_a_newer_schema_version_adds_its_columns_and_old_snapshots_still_read(crawl, tmp_path):
    uri = tmp_path / "table"
    first = crawl("mitrade", "-s", f"TABLE_URI={uri}", "-s", "SCHEMA=article@1")
    assert first.returncode == 0, first.log[-2000:]
    v1 = load(uri)
    assert "description" not in v1.schema().column_names
    v1_snapshot = v1.current_snapshot().snapshot_id

    second = crawl("mitrade", "-s", f"TABLE_URI={uri}", "-s", "SCHEMA=article@2")
    assert second.returncode == 0, second.log[-2000:]
    table = load(uri)
    assert {"description", "crawled_at", "record_schema"} <= set(table.schema().column_names)
    latest = table.scan().to_arrow()
    assert latest.num_rows == 12
    assert latest.filter(pa.compute.equal(latest["record_schema"], "article@2")).num_rows == 6
    as_of = table.scan(snapshot_id=v1_snapshot).to_arrow()  # time travel: the table as crawl 1 left it
    assert as_of.num_rows == 6
    assert [s.summary.additional_properties["broadsheet.schema"] for s in table.snapshots()] == ["article@1",
                                                                                                  "article@2"]


def test_a_failed_crawl_commits_nothing(crawl, tmp_path):
    uri = tmp_path / "table"
    result = crawl("mitrade", "-s", f"TABLE_URI={uri}", "-s", f"FIELD_COVERAGE_MIN={NOT_ALL_MODIFIED}")
    assert result.finish_reason == "failed_field_coverage"
    assert result.returncode == 1
    assert load(uri).current_snapshot() is None
    assert "its 6 rows are not committed to broadsheet.articles" in result.log
    assert not list(Path(uri).rglob("*.parquet"))


def test_a_feed_that_fails_to_commit_keeps_back_the_table(crawl, tmp_path):
    """The table commits after the feeds, by the same rule: a feed whose rename fails fails the
    crawl, and the table gets no snapshot."""
    uri = tmp_path / "table"
    (tmp_path / "feed.jsonl").mkdir()  # the feed's rename fails (IsADirectoryError)
    result = crawl("mitrade", "-s", f"TABLE_URI={uri}", "-O", str(tmp_path / "feed.jsonl"), output=None)
    assert result.returncode == 1 and result.finish_reason == "failed_write", result.log[-2000:]
    assert load(uri).current_snapshot() is None
    assert "its 6 rows are not committed to broadsheet.articles" in result.log


def _writer(uri: str, worker: int, batches: int) -> None:
    table = open_table(open_catalog(uri), "broadsheet.articles", "article@2")
    schema = table_schema("article@2")
    for batch in range(batches):
        row = {name: None for name in schema.names}
        row.update(url=f"https://example.com/{worker}/{batch}", canonical_url=f"https://example.com/{worker}/{batch}",
                   site=f"site{worker}", article_id=f"{worker}-{batch}", headline="h", authors=[], body="b",
                   tickers=[], related=[], publication_date=dt.date(2026, 2, 1 + batch))
        append(table, pa.Table.from_pylist([row], schema=schema), {"broadsheet.crawl_id": f"w{worker}"})


def test_concurrent_writers_lose_no_commit(tmp_path):
    uri = str(tmp_path / "table")
    open_table(open_catalog(uri), "broadsheet.articles", "article@2")
    workers, batches = 4, 5
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_writer, args=(uri, w, batches)) for w in range(workers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
        assert p.exitcode == 0
    table = load(Path(uri))
    assert len(table.snapshots()) == workers * batches
    assert table.scan().to_arrow().num_rows == workers * batches
