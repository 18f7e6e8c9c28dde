"""Keeping the latest revision of each article in the Iceberg table: pyiceberg's ``upsert`` on
the ``url`` identifier vs appending every revision and reading the latest with a query.

Both tables start with ``--rows`` articles; then a crawl brings ``--rows`` revisions (a
``--changed`` share of them changed, the rest new). Times are in this process, ratios against
append-and-read.

    .venv/bin/python benchmarks/bench_table.py --rows 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time

import duckdb
import pyarrow as pa
from common import ROOT  # noqa: F401 - puts the checkout on sys.path

from broadsheet.table.iceberg import append, open_catalog, open_table, table_schema

LATEST = """select * from revisions
            qualify row_number() over (partition by url order by crawled_at desc) = 1"""


def batch(start: int, count: int, crawled: str, schema: pa.Schema) -> pa.Table:
    """``count`` articles numbered from ``start``, crawled at ``crawled``."""
    rows = [{name: None for name in schema.names} | {
        "url": f"https://example.com/a/{n}", "canonical_url": f"https://example.com/a/{n}", "site": "example",
        "article_id": str(n), "headline": f"story {n} as of {crawled}", "authors": ["A"], "body": "text " * 200,
        "tickers": [], "related": [], "publication_date": dt.date(2026, 2, 1 + n % 28),
        "crawled_at": dt.datetime.fromisoformat(crawled)} for n in range(start, start + count)]
    return pa.Table.from_pylist(rows, schema=schema)


def main() -> None:
    """Time both ways and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--changed", type=float, default=0.5)
    args = parser.parse_args()
    schema = table_schema("article@2")
    first = batch(0, args.rows, "2026-02-05T10:00:00+00:00", schema)
    changed = int(args.rows * args.changed)
    second = batch(args.rows - changed, args.rows, "2026-02-06T10:00:00+00:00", schema)
    with tempfile.TemporaryDirectory() as work:
        catalog = open_catalog(work)
        upserted = open_table(catalog, "bench.upserted", "article@2")
        with upserted.update_schema() as update:
            update.set_identifier_fields("url")
        revisions = open_table(catalog, "bench.revisions", "article@2")
        append(upserted, first, {})
        append(revisions, first, {})

        started = time.perf_counter()
        result = upserted.upsert(second)
        upsert_s = time.perf_counter() - started

        started = time.perf_counter()
        append(revisions, second, {})
        append_s = time.perf_counter() - started
        started = time.perf_counter()
        revisions_arrow = revisions.scan().to_arrow()  # noqa: F841 - read by DuckDB below
        latest = duckdb.sql(LATEST.replace("revisions", "revisions_arrow")).to_arrow_table()
        read_s = time.perf_counter() - started

        assert upserted.scan().to_arrow().num_rows == latest.num_rows == 2 * args.rows - changed
    print(f"{args.rows} rows, then {args.rows} revisions ({changed} changed, {result.rows_inserted} new)")
    print(f"upsert:                 {upsert_s:7.2f} s")
    print(f"append revisions:       {append_s:7.2f} s")
    print(f"read latest (DuckDB):   {read_s:7.2f} s")
    print(f"upsert / (append+read): {upsert_s / (append_s + read_s):7.2f}x")


if __name__ == "__main__":
    main()
