"""The maintainer's loop, for real, on a temporary copy of the project:
import a HAR -> expected written -> tests pass -> a selector change fails exactly that field."""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import MITRADE_CASSETTE, ROOT

from broadsheet.recording.handler import cassette_text
from broadsheet.testing.authoring import _dump, report_failure
from schemas.registry import default_registry

LATEST = default_registry().get("article").ref
"""The newest article schema version (a new one lands without touching these tests)."""

URL = "https://www.mitrade.com/au/insights/news/live-news/article-8-1571455-20260205"
ROBOTS = "https://www.mitrade.com/robots.txt"


def har_from_cassette(path: Path, urls: list[str]) -> Path:
    """A browser-style HAR of recorded pages: gzip bodies in base64, cookies on both sides."""
    data = yaml.safe_load(MITRADE_CASSETTE.read_text(encoding="utf-8"))
    entries = []
    for interaction in data["interactions"]:
        request, response = interaction["request"], interaction["response"]
        if request["uri"] not in urls:
            continue
        body = response["body"]["string"].encode("utf-8")
        headers = [{"name": k, "value": v[0]} for k, v in response["headers"].items() if k != "content-length"]
        headers += [{"name": "content-encoding", "value": "gzip"}, {"name": "set-cookie", "value": "sid=SECRETCOOKIE"}]
        entries.append({
            "request": {"method": "GET", "url": request["uri"],
                        "headers": [{"name": "cookie", "value": "sid=SECRETCOOKIE"},
                                    {"name": "user-agent", "value": "Mozilla/5.0"}]},
            "response": {"status": response["status"]["code"], "statusText": "OK", "headers": headers,
                         "content": {"mimeType": "text/html", "encoding": "base64",
                                     "text": base64.b64encode(gzip.compress(body)).decode()}},
        })
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project without its fixtures."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "out", "data", "fixtures", "__pycache__", ".pytest_cache", ".hypothesis"))
    (copy / "fixtures").mkdir()
    return copy


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=project, capture_output=True, text=True, timeout=600)


def failed_ids(output: str) -> list[str]:
    return sorted(re.findall(r"^FAILED \S+::(\S+)", output, re.M))


def test_add_from_har_then_a_selector_change_fails_exactly_that_field(project, tmp_path):
    har = har_from_cassette(tmp_path / "capture.har", [URL, ROBOTS])
    added = run(project, "-m", "scrapy", "fixture", "add", "mitrade", URL, "--har", str(har), "--name", "btc70k")
    assert added.returncode == 0, added.stdout + added.stderr
    case = project / "fixtures" / "mitrade" / "btc70k"
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    assert expected["headline"].startswith("Bitcoin Drops to $70,000")
    assert expected["record_schema"] == LATEST and len(expected["related"]) == 4
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    assert meta == {"urls": [URL], "reference_time": "2026-02-06T09:13:14Z", "schema": LATEST}
    cassette = cassette_text(case / "cassette.yaml.gz")
    assert "SECRETCOOKIE" not in cassette and "!!binary" not in cassette and "content-encoding" not in cassette
    assert "Bitcoin Drops to $70,000" in cassette and "date:" in cassette

    passing = run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fixtures.py")
    assert passing.returncode == 0, passing.stdout[-3000:]

    spider = project / "spiders" / "mitrade.py"
    spider.write_text(spider.read_text().replace('"NewsCard_summary"', '"NewsCard_summry"'))
    failing = run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", "tests/test_fixtures.py")
    assert failing.returncode == 1
    assert failed_ids(failing.stdout) == sorted(
        f"test_field[mitrade/btc70k:related[{i}].summary]" for i in range(4))
    # the readable failure: page, field, expected and got
    assert f"mitrade/btc70k: {URL}" in failing.stdout and "field related[0].summary" in failing.stdout
    assert "expected: 'Bitcoin plunges 11%" in failing.stdout and "got:      None" in failing.stdout

    update = run(project, "-m", "scrapy", "fixture", "update", "mitrade")
    assert update.returncode == 1 and '-    "summary": "Bitcoin plunges 11%' in update.stdout
    assert '"summary": null' not in update.stdout  # a lost value leaves the record, never as null
    assert "fixture: 1 of 1 cases differ; not written (add --write)" in update.stdout
    written = run(project, "-m", "scrapy", "fixture", "update", "mitrade", "--write")
    assert written.returncode == 0, written.stdout
    related = json.loads((case / "expected.json").read_text(encoding="utf-8"))["related"]
    assert len(related) == 4 and not any("summary" in card for card in related)


def test_add_rejects_a_url_the_capture_does_not_hold(project, tmp_path):
    har = har_from_cassette(tmp_path / "capture.har", [ROBOTS])
    result = run(project, "-m", "scrapy", "fixture", "add", "mitrade", URL, "--har", str(har))
    assert result.returncode == 2 and f"{URL} is not in" in result.stderr


def test_add_from_a_saved_page_synthesises_a_dated_cassette(project, tmp_path):
    body = yaml.safe_load(MITRADE_CASSETTE.read_text(encoding="utf-8"))
    page = next(i["response"]["body"]["string"] for i in body["interactions"] if i["request"]["uri"] == URL)
    saved = tmp_path / "saved.html.gz"
    saved.write_bytes(gzip.compress(page.encode("utf-8")))
    added = run(project, "-m", "scrapy", "fixture", "add", "mitrade", "--html", str(saved), "--url", URL,
                "--date", "2026-02-06T09:13:14Z", "--name", "saved", "--note", "a saved copy")
    assert added.returncode == 0, added.stdout + added.stderr
    case = project / "fixtures" / "mitrade" / "saved"
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    assert meta["reference_time"] == "2026-02-06T09:13:14Z" and meta["notes"] == "a saved copy"
    data = yaml.safe_load(cassette_text(case / "cassette.yaml.gz"))
    assert [i["request"]["uri"] for i in data["interactions"]] == [URL, ROBOTS]
    assert json.loads((case / "expected.json").read_text(encoding="utf-8"))["headline"].startswith("Bitcoin Drops")
    no_offset = run(project, "-m", "scrapy", "fixture", "add", "mitrade", "--html", str(saved), "--url", URL,
                    "--date", "2026-02-06T09:13:14", "--name", "other")
    assert no_offset.returncode == 2 and "offset" in no_offset.stderr
    assert not (project / "fixtures" / "mitrade" / "other").exists()


def test_a_failed_add_names_the_errors_and_keeps_the_whole_log(capsys):
    log = "\n".join([f"INFO line {i}" for i in range(200)] + ["ERROR: Failed https://x.test/a: boom"]
                    + [f"INFO after {i}" for i in range(200)])
    report_failure("crawl failed", log)
    out = capsys.readouterr().out
    assert "ERROR: Failed https://x.test/a: boom" in out and "INFO line 3" not in out
    kept = Path(re.search(r"the whole log: (\S+)", out).group(1))
    assert kept.read_text(encoding="utf-8") == log


def test_update_diffs_long_text_line_by_line():
    assert _dump("first paragraph\n\nsecond") == ["first paragraph", "", "second"]
    assert _dump(["a"]) == ["[", '  "a"', "]"]
