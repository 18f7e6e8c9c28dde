"""Shared test helpers: real ``scrapy crawl`` runs in a subprocess over recorded cassettes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MITRADE_CASSETTE = FIXTURES / "mitrade" / "cassette.yaml"


@dataclass
class CrawlResult:
    """What a crawl left behind: its items, its stats report, its exit code and its log."""

    items: list[dict]
    stats: dict
    finish_reason: str
    returncode: int
    log: str
    out: Path

    def by_url(self) -> dict[str, dict]:
        """Items keyed by URL."""
        return {item["url"]: item for item in self.items}


def run_crawl(tmp_path: Path, spider: str, *args: str, urls: list[str] | None = None,
              cassette: Path | None = MITRADE_CASSETTE, output: str | None = "out.jsonl",
              timeout: float = 300) -> CrawlResult:
    """Run ``python -m scrapy crawl`` from the repository root, as a user would; ``output`` is
    the JSONL feed under ``tmp_path`` (None: no feed of ours)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / (output or "out.jsonl")
    report = tmp_path / "stats.json"
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"STATS_REPORT_URI={report}",
           "-s", "LOG_LEVEL=INFO"]
    if output:
        cmd += ["-O", str(out)]
    if urls:
        cmd += ["-a", "urls=" + ",".join(urls)]
    if cassette is not None:
        cmd += ["-s", f"VCR_CASSETTE={cassette}"]
    cmd += list(args)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    items = []
    if out.exists() and out.suffix == ".jsonl":
        items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    stats, reason = {}, ""
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        stats, reason = data["stats"], data["finish_reason"]
    return CrawlResult(items, stats, reason, proc.returncode, proc.stderr, out)


@pytest.fixture
def crawl(tmp_path: Path):
    """``crawl(spider, *scrapy_args, urls=[...], cassette=path)`` -> ``CrawlResult``."""

    def _crawl(spider: str, *args: str, **kwargs) -> CrawlResult:
        return run_crawl(tmp_path, spider, *args, **kwargs)

    return _crawl


def mutated_cassette(tmp_path: Path, url: str, replacements: dict[str, str],
                     source: Path = MITRADE_CASSETTE) -> Path:
    """A copy of ``source`` whose recorded body for ``url`` has ``replacements`` applied: a page
    "after a redesign", still replayed through the real downloader."""
    import yaml

    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    hits = 0
    for interaction in data["interactions"]:
        if interaction["request"]["uri"] == url:
            body = interaction["response"]["body"]["string"]
            for old, new in replacements.items():
                assert old in body, f"{old!r} not in the recorded {url}"
                body = body.replace(old, new)
            interaction["response"]["body"]["string"] = body
            interaction["response"]["headers"]["content-length"] = [str(len(body.encode()))]
            hits += 1
    assert hits, f"{url} is not in {source}"
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
