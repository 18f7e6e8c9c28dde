"""Test-crawl cost: one typical test crawl as a fresh ``python -m scrapy`` subprocess against the
same crawl forked from the suite's pre-imported zygote (``broadsheet/testing/forkserver.py``).

    python benchmarks/bench_forkserver.py [--crawls 10]

Runs the crawl (one mitrade article over its cassette, the way ``run_crawl`` does) ``--crawls``
times each way, alternating, in this session; prints the CPU (user+sys, of the children) and wall
time per crawl of each, and their ratios. The zygote's own start (its imports, once per test
session) is printed apart. Forked children's CPU is read from the zygote's reaped-children times.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ARTICLE = "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206"


def children_cpu(pid: int | None = None) -> float:
    """CPU seconds of the reaped children: this process's, or (``pid``) another's from /proc."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime


def main() -> None:
    """Crawl both ways, alternating; print the costs and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crawls", type=int, default=10)
    args = parser.parse_args()

    from broadsheet.testing import forkserver

    forkserver.enable()
    server = forkserver._SERVER
    folder = Path(tempfile.mkdtemp(prefix="bench-forkserver-"))
    env = {**os.environ, "PYTHONHASHSEED": "0"}

    def cmd(n: int) -> list[str]:
        return [sys.executable, "-m", "scrapy", "crawl", "mitrade", "-a", f"urls={ARTICLE}", "-s", "LOG_LEVEL=INFO",
                "-s", f"HISTORY_URI={folder / 'history'}", "-O", str(folder / f"out{n}.jsonl")]

    before, started = children_cpu(), time.monotonic()
    assert server.serves(cmd(0), ROOT, env)
    zygote_wall = time.monotonic() - started
    zygote_pid = server._proc.pid
    cpu = {"subprocess": 0.0, "forked": 0.0}
    wall = dict.fromkeys(cpu, 0.0)
    for n in range(args.crawls):
        for way in ("subprocess", "forked"):
            mine, zygotes, started = children_cpu(), children_cpu(zygote_pid), time.monotonic()
            if way == "subprocess":
                proc = subprocess.run(cmd(n), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            else:
                proc = forkserver.run(cmd(n), cwd=ROOT, env=env, timeout=300)
            assert proc.returncode == 0, proc.stderr[-2000:]
            wall[way] += time.monotonic() - started
            cpu[way] += children_cpu() - mine + children_cpu(zygote_pid) - zygotes
    server.close()
    zygote_cpu = children_cpu() - before - cpu["subprocess"] - cpu["forked"]
    print(f"load {os.getloadavg()[0]:.2f}; {args.crawls} crawls each way")
    for way in cpu:
        print(f"{way:>10}: {cpu[way] / args.crawls:.3f} s CPU, {wall[way] / args.crawls:.3f} s wall per crawl")
    print(f"ratio forked/subprocess: CPU {cpu['forked'] / cpu['subprocess']:.2f}, "
          f"wall {wall['forked'] / wall['subprocess']:.2f}")
    print(f"zygote start (once a session): {zygote_cpu:.2f} s CPU, {zygote_wall:.2f} s wall")


if __name__ == "__main__":
    main()
