"""The ``article`` spider's contract (``-a urls_file``, a cassette, ``-O``) and ``scrapy sd``, by subprocess."""

from __future__ import annotations

import subprocess
import sys

import yaml
from conftest import FIXTURES, ROOT

from broadsheet.recording.handler import cassette_text
from broadsheet.testing import forkserver
from broadsheet.testing.cases import discover
from schemas.registry import default_registry

LATEST = default_registry().get("article").ref
"""The newest article schema version (a new one lands without touching these tests)."""

CASES = {case.name: case for case in discover(FIXTURES, "article")}
"""The article spider's recorded cases: two hand-written stories and a home page."""
JSONLD_URL = "https://nachrichten.example.at/stories/4100321/"


def merged_cassette(tmp_path):
    """One cassette holding every article case's recordings."""
    interactions = []
    for case in CASES.values():
        interactions += yaml.safe_load(cassette_text(case.cassette))["interactions"]
    path = tmp_path / "pages.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}, allow_unicode=True))
    return path, [i["request"]["uri"] for i in interactions if not i["request"]["uri"].endswith("robots.txt")]


def test_urls_file_contract_exports_articles_skips_the_home_page_and_counts_winning_sources(crawl, tmp_path):
    cassette, urls = merged_cassette(tmp_path)
    urls_file = tmp_path / "urls.txt"
    urls_file.write_text("# pages\n" + "\n".join(urls) + "\n")
    result = crawl("article", "-a", f"urls_file={urls_file}", cassette=cassette)
    assert result.returncode == 0, result.log[-2000:]
    assert sorted(i["site"] for i in result.items) == ["example_at", "example_com"]
    assert all(i["record_schema"] == LATEST and 0 < i["quality"] <= 1 for i in result.items)
    assert result.stats["broadsheet/pages/skipped/not_article_home"] == 1
    assert result.stats["broadsheet/field/headline/jsonld:headline"] == 1
    assert sum(v for k, v in result.stats.items() if k.startswith("broadsheet/field/body/")) == 2


def test_the_article_spider_without_pages_says_how_to_give_them(crawl):
    result = crawl("article")
    assert result.returncode != 0 and "-a urls=U1,U2 or -a urls_file=FILE" in result.log


def sd(*args: str) -> subprocess.CompletedProcess:
    return forkserver.run([sys.executable, "-m", "scrapy", "sd", *args], cwd=ROOT, timeout=120)


def test_sd_shows_every_candidate_the_winner_and_the_record_from_a_cassette():
    proc = sd(JSONLD_URL, "--cassette", str(CASES["jsonld_news_article"].cassette))
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "headline: won by jsonld:headline" in out
    assert "jsonld:author" in out and "rejected by the normaliser" in out  # the organisation
    assert "  * html:lang" in out and '"site": "example_at"' in out


def test_sd_reads_a_saved_html_file_with_a_site_spider_sources(tmp_path):
    html = tmp_path / "page.html"
    html.write_text("<html lang='en'><h1>Saved</h1><p>Body text.</p></html>")
    proc = sd("https://example.org/a/1", "--html", str(html))
    assert proc.returncode == 0 and "headline: won by h1" in proc.stdout, proc.stderr[-2000:]
    missing = sd("https://example.org/none", "--cassette", str(CASES["jsonld_news_article"].cassette))
    assert missing.returncode != 0 and "no recording of https://example.org/none" in missing.stderr
