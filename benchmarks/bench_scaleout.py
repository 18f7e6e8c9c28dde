"""Scaling of a shared crawl: 1, 2 and 4 workers on one Redis, committing to one Iceberg table.

A local server answers for ``--sites`` sites, each on its own loopback address (127.0.0.10,
127.0.0.11, ...), after a fixed ``--latency``: a listing page per site linking ``--articles``
article pages. Every worker runs ``scrapy runspider`` on the spider below with the same command
(``REDIS_URL``, ``TABLE_URI``). The server measures pages/s (first to last page served) and each
site's highest number of requests in flight, which must never exceed the per-site limit
(``CONCURRENT_REQUESTS_PER_DOMAIN``, held across workers). Request counts are bounded, so every
run stops by itself.

What is measured is how the shared frontier lets workers add up, so a worker must be bound by its
own concurrency and the server's latency, as a real crawler is bound by the sites it waits for,
not by the CPU of a machine its workers share (here 2 cores shared with other work: 4 workers of
16 requests at 0.2 s latency would need several cores for extraction alone, and would measure the
machine). With ``--concurrency 4`` requests per worker and 1 s latency one worker does at most 4
pages/s, about a fifth of a core (printed: CPU s per page and cores used); the per-site limit (2
across workers, 20 sites) is reached (peak per site) but leaves room for 4 workers (16 < 40), so
it is tested without being the bottleneck. pages/s is the steady state: pages served between the
10th and the 90th percentile of the run, so that the seconds each worker takes to start (Python
and Scrapy imports, slower on a loaded machine) and the drain at the end, constant per run, do
not count as throughput (the whole run's rate is printed beside it). Each count of workers runs
``--rounds`` times; the median is reported.

    .venv/bin/python benchmarks/bench_scaleout.py --sites 20 --articles 25 --latency 1 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import email.utils
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

if __name__ != "__main__":  # loaded by `scrapy runspider`: the spider
    from broadsheet.news import NewsSpider

    class BenchSpider(NewsSpider):
        """Listing pages of the benchmark's sites, then their articles."""

        name = "bench"
        site = "bench"
        article_url = re.compile(r"^http://127\.0\.0\.\d+:\d+/a/(?P<id>\d+)$")
        body_xpath = "//article"

        def __init__(self, *args, listings: str = "", **kwargs):
            super().__init__(*args, **kwargs)
            self.listing_urls = listings.split(",")

else:
    from common import ROOT

    PAGE = ('<!DOCTYPE html><html lang="en"><head><title>{title}</title>'
            '<link rel="canonical" href="{url}"/>{ld}</head><body>{body}</body></html>')

    class Server:
        """HTTP/1.0 pages on many loopback addresses, each answered after ``latency`` seconds."""

        def __init__(self, sites: int, articles: int, latency: float):
            self.hosts = [f"127.0.0.{10 + i}" for i in range(sites)]
            self.articles = articles
            self.latency = latency
            self.in_flight: dict[str, int] = defaultdict(int)
            self.peak: dict[str, int] = defaultdict(int)
            self.served: list[float] = []
            self.changes: list[tuple[float, int]] = []  # (time, requests in flight at all sites) at each change
            self.port = 0

        def reset(self) -> None:
            """Forget the previous run's counts."""
            self.in_flight.clear()
            self.peak.clear()
            self.served = []
            self.changes = []

        def mean_in_flight(self, start: float, end: float) -> float:
            """Requests in flight at all sites together, averaged over time from ``start`` to ``end``."""
            total, area, last = 0, 0.0, start
            for at, now in self.changes:
                if at > end:
                    break
                if at > start:
                    area += total * (at - last)
                    last = at
                total = now
            return (area + total * (end - last)) / max(end - start, 1e-9)

        def page(self, host: str, path: str) -> tuple[int, str]:
            """Status and HTML of ``path`` on ``host``: the listing, an article, or 404."""
            base = f"http://{host}:{self.port}"
            if path == "/":
                links = "".join(f'<a href="/a/{n}">story {n}</a>' for n in range(self.articles))
                return 200, PAGE.format(title="news", url=base + "/", ld="", body=links)
            match = re.fullmatch(r"/a/(\d+)", path)
            if not match:
                return 404, "not found"
            n = int(match.group(1))
            ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": f"{host} story {n}",
                             "datePublished": "2026-02-05T10:00:00Z", "author": {"name": "Bench Writer"}})
            words = " ".join(f"{host}-{n}-w{i}" for i in range(120))  # every story its own text
            body = f"<article><h1>{host} story {n}</h1><p>{words}</p></article>"
            return 200, PAGE.format(title=f"story {n}", url=f"{base}{path}",
                                    ld=f'<script type="application/ld+json">{ld}</script>', body=body)

        async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            """Answer one connection after the latency, counting it in flight for its site."""
            host = writer.get_extra_info("sockname")[0]
            try:
                request = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                return
            path = request.split(b" ", 2)[1].decode()
            self.in_flight[host] += 1
            self.peak[host] = max(self.peak[host], self.in_flight[host])
            self.changes.append((time.monotonic(), sum(self.in_flight.values())))
            try:
                await asyncio.sleep(self.latency)
                status, text = self.page(host, path)
                body = text.encode()
                head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
                        f"Content-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                        f"Date: {email.utils.format_datetime(dt.datetime.now(dt.UTC), usegmt=True)}\r\n"
                        "Connection: close\r\n\r\n")
                writer.write(head.encode() + body)
                await writer.drain()
                if path.startswith("/a/") or path == "/":
                    self.served.append(time.monotonic())
            finally:
                self.in_flight[host] -= 1
                self.changes.append((time.monotonic(), sum(self.in_flight.values())))
                writer.close()

        def start(self) -> None:
            """Serve in a background thread until the process ends."""
            ready = threading.Event()

            async def main() -> None:
                first = await asyncio.start_server(self.handle, self.hosts[0], 0, backlog=512)
                self.port = first.sockets[0].getsockname()[1]
                for host in self.hosts[1:]:
                    await asyncio.start_server(self.handle, host, self.port, backlog=512)
                ready.set()
                await asyncio.Event().wait()

            threading.Thread(target=lambda: asyncio.run(main()), daemon=True).start()
            ready.wait(10)

    def run(server: Server, workers: int, redis_url: str, work: Path, per_site: int, concurrency: int,
            profile: str = "", robots: bool = False) -> dict:
        """One shared crawl with ``workers`` workers; pages/s, peaks, stories and table figures."""
        server.reset()
        table = work / f"table-{workers}"
        listings = ",".join(f"http://{h}:{server.port}/" for h in server.hosts)
        cmd = [sys.executable, "-m", "scrapy", "runspider", str(Path(__file__)), "-a", f"listings={listings}",
               "-s", f"REDIS_URL={redis_url}", "-s", f"TABLE_URI={table}",
               "-s", f"CRAWL_ID=bench-{work.name}-{workers}",
               "-s", "VCR_CASSETTE=", "-s", "LOG_LEVEL=INFO", "-s", "HISTORY_ENABLED=False",
               "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={per_site}", "-s", f"CONCURRENT_REQUESTS={concurrency}",
               "-s", f"ROBOTSTXT_OBEY={robots}", "-s", "FRONTIER_POLL_INTERVAL=0.05"]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = []
        for n in range(workers):
            python = [sys.executable, "-m", "cProfile", "-o", f"{profile}.{workers}", "-m"] if profile and not n else []
            procs.append(subprocess.Popen(python + cmd[2:] if python else cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, text=True))
        logs = [p.communicate(timeout=1800)[1] for p in procs]
        codes = [p.returncode for p in procs]
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        assert codes == [0] * workers, [log[-2000:] for log in logs]
        summaries = [line for log in logs for line in log.splitlines() if " finished (" in line]
        assert all(" finished (finished)" in line for line in summaries) and len(summaries) == workers, summaries
        served = sorted(server.served)
        low, high = len(served) // 10, len(served) * 9 // 10  # steady state: without start-up and drain
        pages_per_s = (high - low) / (served[high] - served[low])
        whole_per_s = (len(served) - 1) / (served[-1] - served[0])
        from broadsheet.table.iceberg import open_catalog

        rows = open_catalog(str(table)).load_table("broadsheet.articles").scan().to_arrow()
        urls = rows["canonical_url"].to_pylist()
        commit_s = [float(m) for log in logs for m in re.findall(r"Committed \d+ rows to \S+ in ([\d.]+)s", log)]
        return {"workers": workers, "codes": codes, "load": os.getloadavg()[0],
                "pages": len(served), "pages_per_s": pages_per_s,
                "whole_per_s": whole_per_s,                "cpu_per_page": cpu_s / len(served),
                "cores": cpu_s / (served[-1] - served[0]),
                "peak_per_site": max(server.peak.values()),
                "in_flight": server.mean_in_flight(served[low], served[high]),
                "rows": len(urls), "unique": len(set(urls)),
                "commit_s": commit_s, "rows_per_s_commit": len(urls) / max(sum(commit_s), 1e-9)}

    def main() -> None:
        """Run 1, 2 and 4 workers and print the table."""
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--sites", type=int, default=20)
        parser.add_argument("--articles", type=int, default=25)
        parser.add_argument("--latency", type=float, default=1.0)
        parser.add_argument("--per-site", type=int, default=2)
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--workers", default="1,2,4")
        parser.add_argument("--concurrency", type=int, default=4, help="CONCURRENT_REQUESTS of each worker")
        parser.add_argument("--robots", action="store_true", help="obey robots.txt (the server answers 404)")
        parser.add_argument("--profile", default="", help="cProfile the first worker of each run to PROFILE.<workers>")
        args = parser.parse_args()
        server = Server(args.sites, args.articles, args.latency)
        server.start()
        work = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
        port = 16000 + os.getpid() % 1000
        redis_proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(work)], stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            rounds = [[run(server, int(n), f"redis://127.0.0.1:{port}/0", work / f"r{r}", args.per_site,
                            args.concurrency, args.profile, args.robots) for n in args.workers.split(",")]
                      for r in range(args.rounds)]
        finally:
            redis_proc.terminate()
            shutil.rmtree(work, ignore_errors=True)
        by_workers = list(zip(*rounds, strict=True))
        results = [sorted(runs, key=lambda r: r["pages_per_s"])[len(runs) // 2] for runs in by_workers]
        base = results[0]["pages_per_s"]
        expected = args.sites * (args.articles + 1)
        print(f"{args.sites} sites x {args.articles} articles, {args.latency}s latency, {args.concurrency} requests "
              f"per worker, limit {args.per_site} per site across workers, median of {args.rounds} rounds "
              f"(load average {os.getloadavg()[0]:.1f})")
        print("| workers | pages | pages/s (rounds) | mean (min-max) | load (rounds) | x one | whole run pages/s "
              "| CPU ms/page | cores | in flight "
              "| peak per site | rows | unique | commit s (each) | rows/s |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r, runs in zip(results, by_workers, strict=True):
            each = ", ".join(f"{x['pages_per_s']:.1f}" for x in runs)
            speeds = [x["pages_per_s"] for x in runs]
            loads = ", ".join(f"{x['load']:.1f}" for x in runs)
            print(f"| {r['workers']} | {r['pages']} | {r['pages_per_s']:.1f} ({each}) "
                  f"| {sum(speeds) / len(speeds):.1f} ({min(speeds):.1f}-{max(speeds):.1f}) | {loads} "
                  f"| {r['pages_per_s'] / base:.2f} "
                  f"| {r['whole_per_s']:.1f} | {r['cpu_per_page'] * 1000:.0f} | {r['cores']:.2f} "
                  f"| {r['in_flight']:.1f} | {r['peak_per_site']} "
                  f"| {r['rows']} "
                  f"| {r['unique']} | "
                  f"{', '.join(f'{s:.2f}' for s in r['commit_s'])} | {r['rows_per_s_commit']:.0f} |")
        for r in (r for runs in rounds for r in runs):
            assert r["pages"] == expected and r["unique"] == r["rows"] == args.sites * args.articles, r
            assert r["peak_per_site"] <= args.per_site, r

    main()
