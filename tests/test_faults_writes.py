"""Fault suite for writes: a failed crawl never replaces or adds to a good output, and every write
is atomic and safe under concurrency and kills. Real ``scrapy`` subprocesses over real cassettes.

"Read-only" folders: the tests run as root, which ignores permission bits, so an unwritable place
is made with a path whose parent is a regular file (``ENOTDIR`` for root too), and a full disk
with ``RLIMIT_FSIZE`` in the child (writes past the limit fail with ``EFBIG``).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import MITRADE_CASSETTE, ROOT, fixture_ahead, run_crawl
from filelock import FileLock
from helpers.killpoint import kill_args

from broadsheet.testing import forkserver

ARTICLE = "https://www.mitrade.com/au/insights/news/live-news/article-8-1571455-20260205"
BTC = "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206"
GATE = 'FIELD_COVERAGE_MIN={"date_modified": 1.0}'  # no mitrade page has date_modified: the gate fails
ONE_AT_A_TIME = ("-s", "CONCURRENT_REQUESTS=1")  # a kill at the third item finds more to come


def scrapy(*args: str, fsize: int | None = None, wait: bool = True, log: Path | None = None
           ) -> subprocess.CompletedProcess | subprocess.Popen | forkserver.ForkedProcess:
    """``python -m scrapy ARGS`` from the project root (``fsize``: the child's RLIMIT_FSIZE in bytes;
    ``wait=False``: started in the background, its log going to ``log``)."""
    cmd = [sys.executable, "-m", "scrapy", *args]
    if not wait:
        return forkserver.popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, fsize=fsize,
                                stderr=log.open("w") if log else subprocess.DEVNULL)
    return forkserver.run(cmd, cwd=ROOT, timeout=300, fsize=fsize)


def crawl_args(*args: str) -> list[str]:
    return ["crawl", "mitrade", "-s", f"VCR_CASSETTE={MITRADE_CASSETTE}", "-s", "LOG_LEVEL=INFO", *args]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def readers(root: Path) -> tuple[int, int, int]:
    """Rows the README's readers see: DuckDB's glob, pandas, and DuckDB's distinct URLs."""
    glob = f"read_parquet('{root}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
    ((rows, distinct),) = duckdb.sql(f"select count(*), count(distinct url) from {glob}").fetchall()
    return rows, len(pd.read_parquet(root)), distinct


def assert_no_reprs(log: str) -> None:
    assert "Error processing Article(" not in log, "an item repr reached the log"


def manifest(root: Path) -> dict:
    return json.loads((root / "_manifest.json").read_text(encoding="utf-8"))


@fixture_ahead()
def good(folder: Path) -> Path:
    """A good previous run: feeds and a one-crawl dataset (made ahead)."""
    result = run_crawl(folder, "mitrade", "-O", str(folder / "out.parquet"), "-s", f"DATASET_URI={folder / 'ds'}")
    assert result.returncode == 0, result.log[-2000:]
    return folder


def copy_of(good: Path, tmp_path: Path) -> Path:
    shutil.copytree(good, tmp_path / "run")
    return tmp_path / "run"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- a failed crawl commits nothing ---------------------------------------------------------------

def test_a_gate_failure_publishes_no_feed_quarantine_rows_or_success(good, tmp_path):
    run = copy_of(good, tmp_path)
    before = snapshot(run)
    result = run_crawl(run, "mitrade", "-O", str(run / "out.parquet"), "-s", f"DATASET_URI={run / 'ds'}",
                       "-s", GATE)
    assert result.returncode == 1 and result.finish_reason == "failed_field_coverage"
    for name in ("out.jsonl", "out.parquet", "out.quarantine.jsonl", "ds/_manifest.json", "ds/_SUCCESS",
                 "out.coverage.json", "stats.json"):
        assert (run / name).read_bytes() == before[name], f"{name} changed"
    assert readers(run / "ds") == (6, 6, 6)
    crawl_id = result.stats["broadsheet/crawl_id"]
    for report in ("out.coverage.json", "stats.json"):  # the reports follow the same rule as the feeds
        kept_report = json.loads((run / f"{report}.failed-{crawl_id}").read_text())
        assert kept_report["finish_reason"] == "failed_field_coverage"
        assert f"kept in {run / report}.failed-{crawl_id}" in result.log
    kept = run / f"out.jsonl.failed-{crawl_id}"
    assert len(lines(kept)) == 6 and pq.read_table(run / f"out.parquet.failed-{crawl_id}").num_rows == 6
    failed = run / "ds" / "_failed" / crawl_id
    assert json.loads((failed / "_failed.json").read_text())["reason"] == "failed_field_coverage"
    assert sum(pq.ParquetFile(p).metadata.num_rows for p in failed.rglob("*.staged")) == 6
    assert f"kept in {kept}" in result.log and f"kept in {failed}" in result.log


def test_dataset_uri_that_is_a_file_fails_the_crawl_in_one_line(good, tmp_path):
    run = copy_of(good, tmp_path)
    blocker = run / "dataset-file"
    blocker.write_text("not a folder\n")
    result = run_crawl(run, "mitrade", "-s", f"DATASET_URI={blocker}")
    assert result.returncode == 1 and result.finish_reason == "failed_write"
    errors = [line for line in result.log.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and f"DATASET_URI={blocker}" in errors[0] and "is a file, not a folder" in errors[0]
    assert "Traceback" not in result.log
    assert_no_reprs(result.log)
    assert lines(run / "out.jsonl") == lines(good / "out.jsonl"), "the good feed was replaced"
    assert blocker.read_text() == "not a folder\n"


def test_feed_into_an_unwritable_folder_fails_the_crawl(tmp_path):
    (tmp_path / "blocker").write_text("")
    result = run_crawl(tmp_path, "mitrade", output="blocker/out.jsonl", urls=[ARTICLE])
    assert result.returncode == 1 and result.finish_reason == "failed_write"
    assert "Cannot write" in result.log and "blocker is a file, not a folder" in result.log
    assert "File exists" not in result.log  # the feed's own line says what is in the way too
    assert "(it goes beside the feed: write the feed to a writable folder, or set QUARANTINE_URI)" in result.log
    assert "Traceback" not in result.log
    assert (tmp_path / "blocker").read_text() == ""


def quarantining_cassette(tmp_path: Path) -> Path:
    """The Mitrade recording with a stray latin-1 byte in one headline: that record is quarantined."""
    data = yaml.safe_load(MITRADE_CASSETTE.read_text(encoding="utf-8"))
    (page,) = [i for i in data["interactions"] if i["request"]["uri"] == BTC]
    page["response"]["body"]["string"] = page["response"]["body"]["string"].encode().replace(
        b"Surrenders", b"Surr\xe9nders")
    path = tmp_path / "cassette.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_feed_that_fails_to_commit_keeps_back_the_quarantine_and_the_dataset(good, tmp_path):
    """The feeds commit first; the quarantine file and the dataset follow, judged after them: a
    feed whose path turns out to be a folder fails the crawl, and nothing else is published."""
    run = copy_of(good, tmp_path)
    (run / "out.quarantine.jsonl").write_text('{"previous": true}\n')
    (run / "feed.jsonl").mkdir()  # the feed's rename fails (IsADirectoryError), its file is whole
    def published() -> dict[str, bytes]:
        return {k: v for k, v in snapshot(run / "ds").items() if not k.startswith(("_failed/", "_staging/"))}

    before = published()
    result = run_crawl(run, "mitrade", "-O", str(run / "feed.jsonl"), "-s", "QUARANTINE_MAX_SHARE=1",
                       "-s", f"QUARANTINE_URI={run / 'out.quarantine.jsonl'}", "-s", f"DATASET_URI={run / 'ds'}",
                       cassette=quarantining_cassette(tmp_path), output=None)
    assert result.returncode == 1 and result.finish_reason == "failed_write", result.log[-2000:]
    crawl_id = result.stats["broadsheet/crawl_id"]
    assert (run / "out.quarantine.jsonl").read_text() == '{"previous": true}\n'
    assert lines(run / f"out.quarantine.jsonl.failed-{crawl_id}")[0]["url"] == BTC
    assert len(lines(run / f"feed.jsonl.failed-{crawl_id}")) == 5  # the whole feed, kept beside
    assert published() == before
    assert readers(run / "ds") == (6, 6, 6) and len(manifest(run / "ds")["crawls"]) == 1
    assert "Dataset " not in result.log and f"kept in {run / 'ds' / '_failed' / crawl_id}" in result.log


def test_appending_to_parquet_is_refused_before_the_crawl(tmp_path):
    target = tmp_path / "x.parquet"
    target.write_bytes(b"PAR1 previous")
    result = scrapy(*crawl_args("-o", str(target)))
    assert result.returncode == 2
    assert "Parquet cannot be appended to: use -O or DATASET_URI" in result.stderr
    assert "Traceback" not in result.stderr and "Spider opened" not in result.stderr
    assert target.read_bytes() == b"PAR1 previous"


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet"])
def test_a_full_disk_fails_loudly_and_keeps_the_old_feed(tmp_path, name):
    final = tmp_path / name
    final.write_bytes(b"previous complete feed\n")
    result = scrapy(*crawl_args("-O", str(final), "-s", "PARQUET_ROW_GROUP_SIZE=1"), fsize=6000)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Cannot write" in result.stderr and "File too large" in result.stderr
    assert result.stderr.count("Cannot write") <= 2  # one line per output, never one per item
    assert_no_reprs(result.stderr)
    assert final.read_bytes() == b"previous complete feed\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_full_disk_under_a_dataset_fails_and_publishes_nothing(good, tmp_path):
    run = copy_of(good, tmp_path)
    def published() -> dict[str, bytes]:
        return {k: v for k, v in snapshot(run / "ds").items() if not k.startswith(("_failed/", "_staging/"))}

    before = published()
    result = scrapy(*crawl_args("-s", f"DATASET_URI={run / 'ds'}", "-s", "PARQUET_ROW_GROUP_SIZE=1"), fsize=3000)
    assert result.returncode == 1, result.stderr[-2000:]
    assert f"Cannot write DATASET_URI={run / 'ds'}" in result.stderr and "File too large" in result.stderr
    assert snapshot(run / "ds") == before
    assert readers(run / "ds") == (6, 6, 6)


def test_cassette_import_onto_a_full_disk_keeps_the_cassette(tmp_path):
    from test_fixture_workflow import ROBOTS, har_from_cassette

    har = har_from_cassette(tmp_path / "capture.har", [ARTICLE, ROBOTS])
    cassette = tmp_path / "cassette.yaml"
    shutil.copyfile(MITRADE_CASSETTE, cassette)
    before = cassette.read_bytes()
    result = scrapy("cassette", "import", str(har), str(cassette), fsize=len(before) // 2)
    assert result.returncode == 1, result.stderr  # a write failure, not bad input (2)
    assert f"cannot write {cassette}: File too large; the cassette is unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert cassette.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert scrapy("cassette", "import", str(har), str(cassette)).returncode == 0  # with room, it works


@pytest.fixture
def site(tmp_path):
    """A real HTTP server on loopback serving one story (50 kB, most of it an HTML comment) and
    robots.txt: what a recording crawl records."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "story.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Loopback story</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Loopback story", "datePublished": "2026-02-06T09:00:00Z", '
        '"author": {"@type": "Person", "name": "Ann Lee"}}</script></head><body><article>'
        "<h1>Loopback story</h1><p>" + "A paragraph of the story, long enough to be its body. " * 8 + "</p>"
        "<!-- " + "padding " * 6000 + "--></article></body></html>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_recording_crawl_onto_a_full_disk_fails_loudly_and_keeps_the_cassette(tmp_path, site):
    cassette = tmp_path / "cassette.yaml"
    shutil.copyfile(MITRADE_CASSETTE, cassette)
    before = cassette.read_bytes()
    args = ["crawl", "article", "-a", f"urls={site}/story.html", "-s", f"VCR_CASSETTE={cassette}",
            "-s", "VCR_RECORD_MODE=new_episodes", "-s", f"HISTORY_URI={tmp_path / 'history'}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-O", str(tmp_path / "out.jsonl")]  # no 5 s start delay on loopback
    result = scrapy(*args, fsize=len(before) + 20_000)  # the feed fits, the cassette with the story does not
    assert result.returncode == 1, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and f"Cannot write {cassette}: [Errno 27] File too large (the cassette is unchanged" \
        in errors[0], errors
    assert "Traceback" not in result.stderr and cassette.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert scrapy(*args).returncode == 0 and b"Loopback story" in cassette.read_bytes()  # with room, it records


def test_crawls_appending_to_one_feed_at_once_all_land_in_it(tmp_path):
    feed = tmp_path / "out.jsonl"
    feed.write_text('{"url": "kept"}\n', encoding="utf-8")  # yesterday's record
    procs = [scrapy(*crawl_args("-o", str(feed), "-s", f"HISTORY_URI={tmp_path / f'h{n}'}", "-s", "LOG_LEVEL=WARNING"),
                    wait=False, log=tmp_path / f"{n}.log") for n in range(6)]
    assert [proc.wait(timeout=300) for proc in procs] == [0] * 6
    records = lines(feed)
    assert len(records) == 1 + 6 * 6 and records[0] == {"url": "kept"}  # none replaced another's items
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_the_quarantine_beside_an_appended_feed_is_appended_too(tmp_path):
    """``-o`` keeps every crawl's records, so it keeps every crawl's rejects; ``-O`` starts both anew."""
    feed, quarantine = tmp_path / "out.jsonl", tmp_path / "out.quarantine.jsonl"
    def crawl(flag: str) -> None:
        result = scrapy(*crawl_args(flag, str(feed), "-s", f"VCR_CASSETTE={quarantining_cassette(tmp_path)}",
                                    "-s", "QUARANTINE_MAX_SHARE=1", "-s", f"HISTORY_URI={tmp_path / 'h'}"))
        assert result.returncode == 0, result.stderr[-2000:]

    crawl("-o")
    crawl("-o")
    assert len(lines(feed)) == 10 and [q["url"] for q in lines(quarantine)] == [BTC, BTC]
    crawl("-O")
    assert len(lines(feed)) == 5 and [q["url"] for q in lines(quarantine)] == [BTC]


# --- datasets under concurrency and kills ---------------------------------------------------------

def test_eight_concurrent_crawls_all_reach_the_manifest(tmp_path):
    root = tmp_path / "ds"
    procs = [scrapy(*crawl_args("-s", f"DATASET_URI={root}", "-s", "LOG_LEVEL=WARNING"), wait=False,
                    log=tmp_path / f"{n}.log") for n in range(8)]
    assert [proc.wait(timeout=300) for proc in procs] == [0] * 8
    crawls = manifest(root)["crawls"]
    assert len(crawls) == 8 and len({c["crawl_id"] for c in crawls}) == 8
    assert sum(c["rows"] for c in crawls) == 48
    assert {f["path"] for c in crawls for f in c["files"]} == {
        p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}
    assert readers(root) == (48, 48, 6)
    assert not list((root / "_staging").iterdir())


def _wait_for(predicate, proc, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        assert proc.poll() is None, "the crawl ended before the moment to kill it"
        time.sleep(0.02)
    raise AssertionError("the moment to kill never came")


def test_a_crawl_killed_mid_dataset_leaves_nothing_readers_see(good, tmp_path):
    run = copy_of(good, tmp_path)
    root = run / "ds"
    before = snapshot(root)
    proc = scrapy(*crawl_args("-s", f"DATASET_URI={root}", "-s", "DATASET_ROWS_PER_FILE=1", *kill_args("item:3"),
                              *ONE_AT_A_TIME))
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert len(list((root / "_staging").rglob("*.staged"))) >= 3  # killed mid-dataset
    assert readers(root) == (6, 6, 6), "a killed crawl's rows are visible"
    assert {k: v for k, v in snapshot(root).items() if not k.startswith("_staging")} == before

    # The next crawl reports the leftovers, sets them aside and commits itself.
    result = run_crawl(run / "next", "mitrade", "-s", f"DATASET_URI={root}")
    assert result.returncode == 0
    killed = next(p.name for p in (root / "_failed").iterdir())
    assert f"crawl {killed} was killed before it committed" in result.log
    assert not list((root / "_staging").iterdir())
    assert len(manifest(root)["crawls"]) == 2 and readers(root) == (12, 12, 6)


def test_a_crawl_killed_while_committing_is_completed_by_the_next(good, tmp_path):
    run = copy_of(good, tmp_path)
    root = run / "ds"
    with FileLock(root / "_lock"):  # another crawl is committing: this one waits for the lock
        proc = scrapy(*crawl_args("-s", f"DATASET_URI={root}", "-s", "DATASET_ROWS_PER_FILE=1"), wait=False)
        try:
            _wait_for(lambda: list((root / "_staging").glob("*/_commit.json")), proc)
            proc.kill()
            proc.wait(timeout=30)
        finally:
            proc.kill()
        assert readers(root) == (6, 6, 6)
    result = run_crawl(run / "next", "mitrade", "-s", f"DATASET_URI={root}")
    assert result.returncode == 0
    assert "killed while committing (6 rows in 6 files)" in result.log
    crawls = manifest(root)["crawls"]
    assert len(crawls) == 3 and readers(root) == (18, 18, 6)
    assert (root / "_SUCCESS").read_text().strip() == crawls[-1]["crawl_id"]


def test_a_killed_crawls_temporary_files_are_removed_by_the_next(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = scrapy(*crawl_args("-O", str(out), *kill_args("item:3"), *ONE_AT_A_TIME), wait=False)
    assert proc.wait(timeout=300) == -signal.SIGKILL
    # Items were being written: the quarantine file is open too.
    assert [p for p in tmp_path.glob(".out.jsonl.*.tmp") if p.stat().st_size]
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp"))
    assert {name.split(".tmp")[0].rsplit(".", 1)[0] for name in left} == {".out.jsonl", ".out.quarantine.jsonl"}
    assert not out.exists()

    result = run_crawl(tmp_path, "mitrade")
    assert result.returncode == 0 and len(result.items) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    for name in left:
        assert f"Removed {tmp_path / name}, left by a writer of" in result.log and f"(process {proc.pid})" in result.log


# --- JOBDIR resume ---------------------------------------------------------------------------------

def test_a_crawl_stopped_by_sigterm_exits_1_and_commits_nothing(tmp_path):
    """``timeout 1h scrapy crawl ...`` in cron: the stopped crawl is not a success (SIGTERM once
    the first item is in the feed's temporary file, more to come)."""
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    proc = scrapy(*crawl_args("-O", str(out), *kill_args("item:1", "SIGTERM"), *ONE_AT_A_TIME))
    assert proc.returncode == 1
    assert out.read_text() == "previous\n" and "finished (shutdown)" in proc.stderr


LISTING = "https://www.mitrade.com/au/insights/news/live-news"
MOMENTS = {"articles": "item:1", "discovery": f"response:{LISTING}"}
"""Ctrl-C once the first article is exported, or once the listing is read (discovery documents to come)."""


@pytest.mark.parametrize("moment", ["articles", "discovery"])
def test_resuming_a_jobdir_crawl_completes_its_output(tmp_path, moment):
    """Ctrl-C while articles are exported, or while discovery documents are still read (the
    stories they announced lived in the first run's memory: the resumed job reads them again)."""
    out, parquet, job = tmp_path / "out.jsonl", tmp_path / "out.parquet", tmp_path / "job"
    out.write_text("previous\n")
    args = crawl_args("-O", str(out), "-O", str(parquet), "-s", f"JOBDIR={job}", *ONE_AT_A_TIME,
                      "-s", "LOG_LEVEL=DEBUG")
    # Ctrl-C: Scrapy finishes in-flight requests and closes ("shutdown")
    interrupted = scrapy(*args, *kill_args(MOMENTS[moment], "SIGINT"))
    assert interrupted.returncode == 1  # interrupted: nothing committed, not a success
    text = interrupted.stderr
    assert f"Crawled (200) <GET {LISTING}>" in text
    assert "JOBDIR crawl interrupted" in text and out.read_text() == "previous\n" and not parquet.exists()
    assert ("Discovery done" in text) == (moment == "articles")
    first = sum(len(lines(p)) for p in job.rglob("*.segment") if ".jsonl" in str(p))

    resumed = scrapy(*args)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    records = lines(out)
    assert len(records) == 6 and len({r["url"] for r in records}) == 6
    assert pq.read_table(parquet).num_rows == 6
    assert first < 6, "the first run was not interrupted"

    again = scrapy(*args)  # nothing left to crawl: the job's output stays whole
    assert again.returncode == 0 and len(lines(out)) == 6 and pq.read_table(parquet).num_rows == 6


# --- fixtures ----------------------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project with one mitrade case."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "out", "data", "__pycache__", ".pytest_cache", ".hypothesis"))
    return copy


def fixture_cmd(project: Path, *args: str, fsize: int | None = None) -> subprocess.CompletedProcess:
    """``python -m scrapy fixture ARGS`` in the copied project (a real subprocess: not the root)."""
    return forkserver.run([sys.executable, "-m", "scrapy", "fixture", *args], cwd=project, timeout=300, fsize=fsize)


def test_fixture_update_write_never_overwrites_truth_when_the_crawl_fails(project):
    case = next(p for p in sorted((project / "fixtures" / "mitrade").iterdir()) if (p / "expected.json").exists())
    expected = (case / "expected.json").read_bytes()
    cassette = case / "cassette.yaml"
    cassette.write_text("<<<<<<< HEAD\n" + cassette.read_text(encoding="utf-8"), encoding="utf-8")
    for extra in ((), ("--write",)):
        result = fixture_cmd(project, "update", "mitrade", "--case", case.name, *extra)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "could not be crawled, nothing written" in result.stdout
        assert f"the crawl over {cassette} failed" in result.stdout
        assert (case / "expected.json").read_bytes() == expected


def test_fixture_add_stays_inside_fixtures_and_never_replaces_silently(project, tmp_path):
    from test_fixture_workflow import ROBOTS, har_from_cassette

    har = har_from_cassette(tmp_path / "capture.har", [ARTICLE, ROBOTS])
    for name in ("../../x", "../escaped", str(tmp_path / "absolute"), "a/b", ".."):
        result = fixture_cmd(project, "add", "mitrade", ARTICLE, "--har", str(har), "--name", name)
        assert result.returncode == 2 and "give a plain folder name" in result.stderr, (name, result.stderr)
    assert not (project.parent / "x").exists() and not (tmp_path / "absolute").exists()
    assert not (project / "fixtures" / "escaped").exists()

    existing = next(p for p in sorted((project / "fixtures" / "mitrade").iterdir()) if p.is_dir())
    before = snapshot(existing)
    refused = fixture_cmd(project, "add", "mitrade", ARTICLE, "--har", str(har), "--name", existing.name)
    assert refused.returncode == 2 and "--force" in refused.stderr and snapshot(existing) == before
    forced = fixture_cmd(project, "add", "mitrade", ARTICLE, "--har", str(har), "--name", existing.name, "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert json.loads((existing / "expected.json").read_text())["url"] == ARTICLE


def test_a_failed_fixture_add_leaves_no_case_folder(project, tmp_path):
    from test_fixture_workflow import ROBOTS, har_from_cassette

    har = har_from_cassette(tmp_path / "capture.har", [ARTICLE, ROBOTS])
    data = json.loads(har.read_text())
    for entry in data["log"]["entries"]:  # a page without an article: invalid, the crawl fails its gate
        if entry["request"]["url"] == ARTICLE:
            entry["response"]["content"] = {"mimeType": "text/html", "text": "<html><body>gone</body></html>"}
            entry["response"]["headers"] = [h for h in entry["response"]["headers"]
                                            if h["name"] not in ("content-encoding",)]
    har.write_text(json.dumps(data))
    listing = sorted(p.name for p in (project / "fixtures" / "mitrade").iterdir())
    result = fixture_cmd(project, "add", "mitrade", ARTICLE, "--har", str(har), "--name", "half")
    assert result.returncode == 1 and "no case written" in result.stdout
    assert sorted(p.name for p in (project / "fixtures" / "mitrade").iterdir()) == listing


def test_fixture_add_onto_a_full_disk_fails_in_one_line_and_leaves_no_case(project, tmp_path):
    from test_fixture_workflow import ROBOTS, har_from_cassette

    har = har_from_cassette(tmp_path / "capture.har", [ARTICLE, ROBOTS])
    listing = sorted(p.name for p in (project / "fixtures" / "mitrade").iterdir())
    result = fixture_cmd(project, "add", "mitrade", ARTICLE, "--har", str(har), "--name", "full", fsize=8000)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "scrapy fixture add: cannot write fixtures/mitrade/: File too large; the case being added was removed" \
        in result.stderr
    assert sorted(p.name for p in (project / "fixtures" / "mitrade").iterdir()) == listing
