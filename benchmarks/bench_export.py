"""Export benchmark: our JSONL and Parquet exporters against Scrapy's JsonLinesItemExporter.

    python benchmarks/bench_export.py [--items 100000] [--big 1000000]

Each measurement runs in a child process on the same realistic records (the recorded Mitrade
articles with their related stories, URLs made unique): items/s, bytes written, peak RSS. Then
peak RSS of the Parquet path for 10k against ``--big`` items (flat memory means about 1x).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, articles

EXPORTERS = ("scrapy_jsonl", "jsonl", "parquet")


def record_pool(size: int = 10_000) -> list[dict]:
    """``size`` unique records as the validation pipeline hands them to exporters.

    Each is a recorded article whose headline and body are made unique: the same number of
    words drawn (seeded) from the articles' vocabulary, which compresses worse than real prose,
    so byte counts err on the large side. ``size`` is one row group, so Parquet's per-page
    dictionaries never see a repeated body.
    """
    base = [{**item.to_dict(), "record_schema": "article@2"} for item in articles()]
    vocabulary = sorted({word for record in base for word in record["body"].split()})
    rng = random.Random(0)
    pool = []
    for n in range(size):
        record = dict(base[n % len(base)])
        record["headline"] = " ".join(rng.choices(vocabulary, k=12))
        record["body"] = " ".join(rng.choices(vocabulary, k=len(record["body"].split())))
        pool.append(record)
    return pool


def records(pool: list[dict], count: int):
    """``count`` records cycling through ``pool``, each with a unique URL."""
    for n in range(count):
        record = dict(pool[n % len(pool)])
        record["url"] = f"{record['url']}?n={n}"
        yield record


def child(exporter: str, count: int) -> None:
    """Export ``count`` records with one exporter; print a JSON line of measurements."""
    from scrapy.exporters import JsonLinesItemExporter

    from broadsheet.exporters.jsonl import OrjsonLinesItemExporter
    from broadsheet.exporters.parquet import ParquetItemExporter

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"out.{exporter}"
        with path.open("wb") as f:
            if exporter == "scrapy_jsonl":
                writer = JsonLinesItemExporter(f)
            elif exporter == "jsonl":
                writer = OrjsonLinesItemExporter(f)
            else:
                writer = ParquetItemExporter(f, "article@2", {}, 10_000, "zstd")
            source = records(record_pool(), count)
            writer.start_exporting()
            start = time.perf_counter()
            for record in source:
                writer.export_item(record)
            writer.finish_exporting()
            elapsed = time.perf_counter() - start
        print(json.dumps({"items_per_s": count / elapsed, "bytes": path.stat().st_size,
                          "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run(exporter: str, count: int) -> dict:
    """One child run."""
    proc = subprocess.run([sys.executable, __file__, "--child", exporter, str(count)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    results = {name: run(name, args.items) for name in EXPORTERS}
    base = results["scrapy_jsonl"]
    for name, r in results.items():
        print(f"{name:13s} {r['items_per_s']:10,.0f} items/s ({r['items_per_s'] / base['items_per_s']:4.1f}x)"
              f"  {r['bytes'] / 1e6:8.1f} MB  peak RSS {r['rss_mb']:6.0f} MB")
    share = results["parquet"]["bytes"] / results["jsonl"]["bytes"]
    print(f"parquet bytes / jsonl bytes = {share:.2f} (target <= 0.40)")
    small, big = run("parquet", 10_000), run("parquet", args.big)
    print(f"parquet peak RSS: 10k items {small['rss_mb']:.0f} MB, {args.big:,} items {big['rss_mb']:.0f} MB "
          f"(ratio {big['rss_mb'] / small['rss_mb']:.2f}, target <= 1.5)")


if __name__ == "__main__":
    main()
