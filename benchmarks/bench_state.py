"""Crawl state at scale: a state holding N seen stories (default 1,000,000), then per-URL decisions.

The state is built as daily runs build it (``--per-run`` stories per run, each opened, saved and
finished), each story with two URLs, realistic fields and signals and, unless ``--no-bands``, its
story bands (``stories.BANDS``). Reports the state's size on disk (bytes per story), the process's memory (RSS)
before opening and after deciding, and the cost of one decision (``record_for_url`` plus the
signal comparison ``plan()`` makes) for known and unknown URLs, as a ratio against a Python dict
lookup of the same URLs in the same process (the cheapest possible baseline, and one that would
need every URL in memory). ``--rounds`` repeats the decisions; the median is reported.

    .venv/bin/python benchmarks/bench_state.py --stories 1000000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT  # noqa: F401 - puts the checkout on sys.path

from broadsheet.state.changes import digest
from broadsheet.state.store import CrawlState, Record
from broadsheet.state.stories import BANDS


def rss_mb() -> float:
    """Resident memory of this process, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def url(i: int, locale: str = "au") -> str:
    """The article URL of story ``i`` in ``locale``."""
    return f"https://www.mitrade.com/{locale}/insights/news/live-news/article-3-{1_000_000 + i}-20260206"


LASTMOD = digest("2026-02-06T08:00:00Z")


def build(directory: Path, stories: int, per_run: int, bands: bool) -> None:
    """A state with ``stories`` live records, two URLs each, realistic fields and signals,
    written by runs of ``per_run`` stories."""
    fields = {name: f"{random.getrandbits(64):016x}" for name in (
        "canonical_url", "site", "article_id", "language", "headline", "authors", "date_published",
        "publication_date", "description", "image", "body", "tickers")}
    signals = {"sitemap:lastmod": LASTMOD, "feed:headline": digest("A headline " * 6)}
    for start in range(0, stories, per_run):
        state = CrawlState.open(directory)
        for i in range(start, min(start + per_run, stories)):
            state.save(Record(key=f"mitrade:{1_000_000 + i}:en", site="mitrade", article_id=str(1_000_000 + i),
                              language="en-AU", url=url(i), revision=1, fields=fields, signals=signals,
                              sitemap="https://www.mitrade.com/sitemaps/articles-2026-02.xml",
                              date_published="2026-02-06T08:00:00Z", checked="2026-02-06T09:00:00Z",
                              story=f"mitrade:{1_000_000 + i}"), [url(i, "en")])
            if bands:
                state.index_bands([random.getrandbits(32) - 2**31 for _ in range(BANDS)], f"mitrade:{1_000_000 + i}")
        state.finish()


def decide(state: CrawlState, urls: list[str]) -> int:
    """The decision ``plan()`` makes per URL: look the URL up, compare its sitemap signal."""
    changed = 0
    for u in urls:
        record = state.record_for_url(u)
        if record is None or record.signals.get("sitemap:lastmod") != LASTMOD:
            changed += 1
    return changed


def main() -> None:
    """Build the state, then measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--per-run", type=int, default=20_000, help="stories written per run")
    parser.add_argument("--no-bands", dest="bands", action="store_false", help="without story bands")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    random.seed(7)
    directory = Path(tempfile.mkdtemp(prefix="bench-state-")) / "state"
    started = time.perf_counter()
    build(directory, args.stories, args.per_run, args.bands)
    print(f"built {args.stories:,} stories ({'with' if args.bands else 'without'} story bands, "
          f"{args.per_run:,} per run) in {time.perf_counter() - started:.1f} s")
    disk = sum(p.stat().st_size for p in directory.iterdir()) / 1e6
    print(f"on disk: {disk:,.1f} MB ({disk * 1e6 / args.stories:,.0f} bytes per story)")

    known = [url(random.randrange(args.stories), random.choice(("au", "en"))) for _ in range(args.lookups)]
    unknown = [url(args.stories + i) for i in range(args.lookups)]
    before = rss_mb()
    state = CrawlState.open(directory)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(args.rounds):
        for name, urls in (("known", known), ("unknown", unknown)):
            started = time.perf_counter()
            decide(state, urls)
            timings[name].append((time.perf_counter() - started) / len(urls) * 1e6)
    after = rss_mb()
    state.close()

    baseline = {u: LASTMOD for u in (url(i) for i in range(args.lookups))}
    rounds = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        sum(1 for u in known if baseline.get(u) != LASTMOD)
        rounds.append((time.perf_counter() - started) / len(known) * 1e6)
    dict_us = statistics.median(rounds)
    for name, runs in timings.items():
        us = statistics.median(runs)
        print(f"decision, {name} URL: {us:.1f} us/URL ({us / dict_us:.0f}x a dict lookup, {dict_us:.2f} us)")
    decisions = 2 * args.lookups * args.rounds
    print(f"memory: {before:.0f} MB before opening the state, {after:.0f} MB after {decisions:,} decisions "
          f"(+{after - before:.0f} MB; SQLite page cache capped at 16 MB)")


if __name__ == "__main__":
    main()
