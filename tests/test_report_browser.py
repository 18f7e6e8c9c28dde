"""The run report in a real headless browser (Debian's chromium): it renders, shows the crawl's
numbers, and a screenshot is made."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import cassette_without_images, crawl_over, fixture_ahead

from broadsheet.monitoring.history import History

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path: Path, page: Path, *args: str) -> str:
    """Run chromium on ``page`` with a fresh profile; its stdout."""
    assert CHROMIUM, "chromium is not installed: apt-get install chromium (.ci/run does)"
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@fixture_ahead("good_history")
def failed_history(folder: Path, good_history: Path) -> Path:
    """A copy of the good history after the image-less crawl (one crawl, made ahead)."""
    shutil.copytree(good_history, folder / "history")
    result = crawl_over(folder, folder / "history", cassette=cassette_without_images(folder))
    assert result.finish_reason == "failed_drift"
    return folder / "history"


@pytest.fixture
def history(failed_history):
    """The history, ending with the failed run."""
    return failed_history


@pytest.fixture
def failed_run(failed_history):
    """The record of the image-less crawl."""
    return History(failed_history).runs()[-1]


def cells(dom: str, row_field: str) -> list[str]:
    row = re.search(rf'<tr class="[^"]*" data-field="{re.escape(row_field)}">(.*?)</tr>', dom, re.S)
    assert row, f"no coverage row for {row_field}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)][:3]


def test_report_renders_the_numbers_of_the_crawl(history, failed_run, tmp_path):
    page = history / f"{failed_run['run_id']}.html"
    dom = chromium(tmp_path, page, "--dump-dom")
    assert re.search(r'<span class="badge fail" id="verdict">fail</span>', dom)
    assert '<b id="items">6</b>' in dom and '<b id="finish-reason">failed_drift</b>' in dom
    assert cells(dom, "image") == ["image", "0.0%", "100.0%"]
    assert cells(dom, "related.url") == ["related.url", "100.0%", "100.0%"]
    assert "Drift: image coverage 0.0% now, usual 100.0%" in dom
    outcomes = re.search(r'<table id="outcomes">(.*?)</table>', dom, re.S).group(1)
    share = f"{100 * 6 / sum(failed_run['outcomes'].values()):.1f}%"  # exported of all requested pages
    assert f'<td>exported</td><td class="num">6</td><td class="num">{share}</td>' in outcomes
    assert dom.count("<svg") > 20  # a sparkline per field and outcome, and the outcome bar
    assert "http://" not in dom.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched from outside


def test_index_lists_every_run(history, failed_run, tmp_path):
    dom = chromium(tmp_path, history / "index.html", "--dump-dom")
    runs = re.search(r'<table id="runs">(.*?)</table>', dom, re.S).group(1)
    assert runs.count(".html\">") == 4 and "coverage/image" in runs
    assert runs.index(failed_run["run_id"]) < runs.index("learning")  # newest first


def test_screenshot(history, failed_run, tmp_path):
    shot = tmp_path / "report.png"
    chromium(tmp_path, history / f"{failed_run['run_id']}.html", f"--screenshot={shot}", "--window-size=1100,1400")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
