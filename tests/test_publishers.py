"""The table of publishers is what the spiders and cases give; every site spider is small and has cases."""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys

import pytest
from conftest import ROOT

from broadsheet.recording.page import import_page
from broadsheet.testing.cases import discover
from broadsheet.testing.crawl import run_crawl
from broadsheet.testing.publishers import TABLE, code_lines, render

SITES = sorted(p for p in (ROOT / "spiders").glob("[!_]*.py") if p.stem not in ("mitrade", "article"))


def test_publisher_table_is_fresh():
    assert TABLE.read_text(encoding="utf-8") == render(), "docs/publishers.md is stale: run `scrapy publishers`"


def test_scrapy_list_shows_every_site():
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert len(listed) >= 13 and {p.stem for p in SITES} <= set(listed)


@pytest.mark.parametrize("path", SITES, ids=lambda p: p.stem)
def test_site_spider_is_small_and_has_a_case_per_layout(path):
    assert code_lines(path) <= 40, f"{path.name}: {code_lines(path)} code lines; what it needs belongs in the base"
    cases = discover(ROOT / "fixtures", path.stem)
    assert cases, f"{path.stem}: no regression case"
    source = path.read_text(encoding="utf-8")
    layouts = [n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef)
               and any(getattr(b, "id", "") == "Layout" for b in n.bases)]
    assert len(cases) >= len(layouts), f"{path.stem}: {len(layouts)} layouts but {len(cases)} cases"


def test_median_site_spider_is_at_most_20_code_lines():
    sizes = sorted(code_lines(p) for p in SITES)
    assert sizes[len(sizes) // 2] <= 20, sizes


def test_genspider_news_writes_a_working_spider(tmp_path):
    """The newcomer path: a generated spider crawls a saved page into a valid record."""
    spider = ROOT / "spiders" / "example_news.py"
    try:
        made = subprocess.run([sys.executable, "-m", "scrapy", "genspider", "-t", "news", "example_news",
                               "news.example.org"], cwd=ROOT, capture_output=True, text=True)
        assert made.returncode == 0, made.stdout + made.stderr
        page = tmp_path / "page.html"
        page.write_text('<html lang="en"><head><meta property="article:published_time" '
                        'content="2024-03-01T10:00:00Z"></head><body><h1>Headline</h1><article><p>Text of the '
                        'story.</p></article></body></html>', encoding="utf-8")
        cassette = tmp_path / "cassette.yaml.gz"
        url = "https://news.example.org/2024/story"
        import_page(page, url, dt.datetime(2024, 3, 2, tzinfo=dt.UTC), cassette)
        result = run_crawl(tmp_path / "out", "example_news", urls=[url], cassette=cassette)
        assert result.returncode == 0 and "ERROR" not in result.log, result.log[-2000:]
        assert result.items[0]["headline"] == "Headline" and "Text of the story." in result.items[0]["body"]
    finally:
        spider.unlink(missing_ok=True)


def test_expected_records_are_compact_and_extras_are_found():
    """fundus's rule in the harness: empty values leave the expected record, and a value the
    record holds where the expected record names nothing is found, nested ones too."""
    from broadsheet.testing.cases import compact, empty_paths, unexpected

    record = {"headline": "H", "authors": [], "section": None, "related": [{"url": "u", "summary": ""}],
              "field_sources": {"headline": "xpath", "keywords": None}}
    expected = compact(record)
    assert expected == {"headline": "H", "related": [{"url": "u"}], "field_sources": {"headline": "xpath"}}
    assert empty_paths(record) == ["authors", "section", "related[0].summary", "field_sources.keywords"]
    assert unexpected(record, expected) == {}
    gained = {**record, "section": "World", "related": [{"url": "u", "summary": "S"}]}
    assert unexpected(gained, expected) == {"section": "World", "related[0].summary": "S"}
