"""Monitoring overhead: the same crawl with run history, drift checks and report on, and off.

    python benchmarks/bench_monitoring.py [--pages 500] [--rounds 3]

Builds bench_crawl's cassette of N article pages, fills a history with ``HISTORY_MIN_RUNS``
runs (so the crawls measured are judged, recorded and reported), then runs ``scrapy crawl`` in
child processes alternately with ``HISTORY_ENABLED`` on and off. Prints each one's wall time
(median, whole process: the record, the checks and the report are written after the spider
closes) and the overhead ratio (target < 5%).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_crawl import ROOT, build_cassette


def crawl(cassette: Path, urls: list[str], folder: Path, history: bool) -> float:
    """Wall time of one ``scrapy crawl mitrade`` over ``cassette``."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "mitrade", "-a", "urls=" + ",".join(urls),
           "-s", f"VCR_CASSETTE={cassette}", "-s", "LOG_LEVEL=WARNING", "-O", str(folder / "out.jsonl"),
           "-s", f"HISTORY_URI={folder / 'history'}", "-s", f"HISTORY_ENABLED={history}"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    """Fill the history, alternate the crawls, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cassette, urls = build_cassette(args.pages, folder)
        for _ in range(3):  # HISTORY_MIN_RUNS good runs: the measured crawls are judged
            crawl(cassette, urls, folder, history=True)
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.rounds):
            for history in (False, True):
                times[history].append(crawl(cassette, urls, folder, history))
        runs = len(list((folder / "history").glob("*.json")))
    on, off = statistics.median(times[True]), statistics.median(times[False])
    print(f"pages={args.pages} rounds={args.rounds} history runs at the end={runs}")
    for label, history in (("history off", False), ("history on", True)):
        print(f"{label:12s} median {statistics.median(times[history]):.3f} s "
              f"(runs: {', '.join(f'{t:.3f}' for t in times[history])})")
    print(f"overhead on/off = {on / off - 1:+.1%} (target < +5%)")


if __name__ == "__main__":
    main()
