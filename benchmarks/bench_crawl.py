"""Crawl benchmark: the mitrade spider against a do-nothing spider on the same replayed pages.

    python benchmarks/bench_crawl.py [--pages 2000] [--rounds 2] [--workers 1]

Builds a cassette of N article pages (copies of the capture's articles under rewritten URLs),
then crawls it in a child process, alternating, ``--rounds`` times each: with the do-nothing
spider, with the mitrade spider, and with the mitrade spider reading its pages in ``--workers``
extraction worker processes (``EXTRACTION_WORKERS``; 0 leaves that crawl out). Prints pages/s of
each (median), their ratios to the do-nothing spider's, and each one's peak RSS against the
cassette's size on disk. Only the window from the first response to the spider's close is timed,
so loading the cassette is not counted; besides wall time, the CPU time spent in that window is
printed per page (the workers' included), and its ratio, which other processes on a loaded
machine disturb less; with workers, also the crawl's own process's CPU per page, the bound of the
pages/s ratio while the workers keep up (the crawl's process then runs every page's pipelines).
Peak RSS is the child's own high-water mark (``VmHWM``): ``ru_maxrss`` of a child counts the
parent's memory at the fork, here the cassette built in memory; a crawl with workers adds the
largest worker's (pages shared with the crawl's process counted in both).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CASSETTE = ROOT / "fixtures" / "mitrade" / "cassette.yaml"
ARTICLE = re.compile(r"article-(\d+)-(\d+)-(\d{8})$")


def build_cassette(pages: int, folder: Path) -> tuple[Path, list[str]]:
    """A cassette of ``pages`` article copies, each with its own id (in its URL, canonical link and page state)."""
    import yaml

    data = yaml.safe_load(CASSETTE.read_text(encoding="utf-8"))
    articles = [i for i in data["interactions"]  # live article pages that are their own canonical
                if ARTICLE.search(i["request"]["uri"]) and i["response"]["status"]["code"] == 200
                and f'rel="canonical" href="{i["request"]["uri"]}"' in i["response"]["body"]["string"]]
    interactions, urls = [i for i in data["interactions"] if i["request"]["uri"].endswith("robots.txt")], []
    for n in range(pages):
        source = articles[n % len(articles)]
        old = source["request"]["uri"]
        kind, article_id, day = ARTICLE.search(old).groups()
        new = ARTICLE.sub(f"article-{kind}-{9_000_000 + n}-{day}", old)
        copy = json.loads(json.dumps(source))
        copy["request"]["uri"] = new
        # The id everywhere (URLs, image names, the page state's "id"): a copy is a new article to the crawl
        # state, not the 333th revision of one of six (which timed revision bookkeeping, never a new story).
        copy["response"]["body"]["string"] = re.sub(rf"(?<!\d){article_id}(?!\d)", str(9_000_000 + n),
                                                    source["response"]["body"]["string"])
        interactions.append(copy)
        urls.append(new)
    path = folder / "bench.yaml"
    path.write_text(yaml.dump({"interactions": interactions, "version": 1}, Dumper=yaml.CSafeDumper,
                              allow_unicode=True, width=1 << 30), encoding="utf-8")
    return path, urls


def child(run: str, cassette: str, urls_file: str) -> None:
    """Run one crawl in this process and print its timing as JSON."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from spiders.mitrade import MitradeSpider

    class DoNothingSpider(MitradeSpider):
        """The same requests as the mitrade spider; its callback does nothing."""

        name = "do_nothing"

        def parse_article(self, response):
            return []

    urls = Path(urls_file).read_text().split()
    spider_name, _, workers = run.partition(":")
    settings = get_project_settings()
    settings.set("EXTRACTION_WORKERS", int(workers or 0), priority="cmdline")
    settings.set("VCR_CASSETTE", cassette, priority="cmdline")
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    tag = run.replace(":", "-")
    history = Path(urls_file).with_name(f"history-{tag}")  # not the project's: a bench run must not
    settings.set("HISTORY_URI", str(history), priority="cmdline")  # become the baseline of a real job's drift
    feed = str(Path(urls_file).with_suffix(f".{tag}.jsonl"))  # as -O: a round must not copy the
    settings.set("FEEDS", {feed: {"format": "jsonl", "overwrite": True}}, priority="cmdline")  # rounds' before it
    marks: dict[str, float] = {}
    process = CrawlerProcess(settings)
    cls = MitradeSpider if spider_name == "mitrade" else DoNothingSpider
    crawler = process.create_crawler(cls)

    def first_response(**_):  # the clocks read once, not on every response (disconnecting here skips the
        if "first" not in marks:  # next handler of this response's signal: Scrapy's response count)
            marks["first"], marks["first_cpu"] = time.perf_counter(), time.process_time()

    def closed(**_):
        marks["closed"] = time.perf_counter()
        marks["closed_cpu"] = time.process_time()

    crawler.signals.connect(first_response, signal=signals.response_received)
    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, urls=",".join(urls))
    process.start()
    pages = crawler.stats.get_value("response_received_count", 0) - 1  # robots.txt
    elapsed = marks["closed"] - marks["first"]
    stats = crawler.stats
    workers_cpu = stats.get_value("broadsheet/extraction/worker_cpu_seconds", 0)
    cpu = marks["closed_cpu"] - marks["first_cpu"] + workers_cpu
    print(json.dumps({"pages": pages, "seconds": elapsed, "cpu_seconds": cpu, "workers_cpu_seconds": workers_cpu,
                      "items": stats.get_value("item_scraped_count", 0),
                      "rss_mb": peak_rss_mb(),
                      "worker_rss_mb": stats.get_value("broadsheet/extraction/worker_max_rss", 0) / 2**20}))


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``), in MB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def main() -> None:
    """Build the cassette, run the crawls alternately, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="extraction workers of the third crawl (0: none)")
    parser.add_argument("--child", nargs=3, metavar=("SPIDER", "CASSETTE", "URLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        cassette, urls = build_cassette(args.pages, Path(tmp))
        size_mb = cassette.stat().st_size / 2**20
        urls_file = Path(tmp) / "urls.txt"
        urls_file.write_text("\n".join(urls))
        runs: dict[str, list[dict]] = {"do_nothing": [], "mitrade": []}
        if args.workers:
            runs[f"mitrade:{args.workers}"] = []
        for _ in range(args.rounds):
            for name in runs:
                proc = subprocess.run([sys.executable, __file__, "--child", name, str(cassette), str(urls_file)],
                                      cwd=ROOT, capture_output=True, text=True, check=True)
                runs[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    rate = {name: statistics.median(r["pages"] / r["seconds"] for r in rs) for name, rs in runs.items()}
    cpu = {name: statistics.median(1000 * r["cpu_seconds"] / r["pages"] for r in rs) for name, rs in runs.items()}
    own = {name: statistics.median(1000 * (r["cpu_seconds"] - r["workers_cpu_seconds"]) / r["pages"] for r in rs)
           for name, rs in runs.items()}
    base = rate["do_nothing"]
    for name, rs in runs.items():
        each = ", ".join(f"{r['pages'] / r['seconds']:.1f}" for r in rs)
        peak = max(r["rss_mb"] for r in rs)
        workers = max(r.get("worker_rss_mb", 0) for r in rs)
        label = name.replace(":", " with workers=") if ":" in name else name
        together = f"; the largest worker's {workers:.0f} MB, together {(peak + workers) / size_mb:.2f}x"
        crawl_cpu = (f"; the crawl's process alone {own[name]:.2f} ms/page, ratio {cpu['do_nothing'] / own[name]:.2f} "
                     "(what the pages/s ratio cannot pass while the workers keep up)" if workers else "")
        print(f"{label}: pages={rs[0]['pages']} items={rs[0]['items']} pages/s={rate[name]:.1f} (runs: {each}), "
              f"ratio {rate[name] / base:.2f}; CPU {cpu[name]:.2f} ms/page, ratio {cpu['do_nothing'] / cpu[name]:.2f}"
              f"{crawl_cpu}\n"
              f"    peak RSS={peak:.0f} MB = {peak / size_mb:.2f}x the cassette ({size_mb:.1f} MB)"
              + (together if workers else ""))
    print("targets: mitrade pages/s >= 0.5 of do_nothing's; peak RSS <= 3x the cassette")


if __name__ == "__main__":
    main()
