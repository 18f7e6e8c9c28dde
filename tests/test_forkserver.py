"""The suite's forked ``python -m scrapy`` children behave as the processes they stand for: the
same exit status, output, files and environment as ``subprocess`` running the real interpreter."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import MITRADE_CASSETTE, ROOT

from broadsheet.testing import forkserver

BTC = "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206"
SCRAPY = [sys.executable, "-m", "scrapy"]


def both(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, ...]:
    """``python -m scrapy ARGS`` from the root: forked, then as a real subprocess."""
    cmd = [*SCRAPY, *args]
    assert forkserver._SERVER.serves(cmd, ROOT, env), "the suite's fork server does not take this command"
    forked = forkserver.run(cmd, cwd=ROOT, env=env, timeout=300)
    real = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return forked, real


def messages(log: str) -> list[str]:
    """A crawl log's lines without what differs between two runs (times, ids, memory, pids)."""
    drop = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d |\d{8}T\d{6}Z-[0-9a-f]+|\d{4}-\d\d-\d\dT[\d.:-]+Z"
                      r"|datetime\.datetime\([^)]*\)|\d+\.\d+|'memusage/\w+': \d+|process \d+")
    return [drop.sub("", line) for line in log.splitlines()]


@pytest.mark.parametrize("args", [["version"], ["settings", "--get", "BOT_NAME"], ["crawl", "nosuch"],
                                  ["schema", "check"], ["no-such-command"]], ids=" ".join)
def test_commands_exit_and_print_as_the_real_interpreter(args):
    forked, real = both(*args)
    assert (forked.returncode, forked.stdout, messages(forked.stderr)) == (
        real.returncode, real.stdout, messages(real.stderr))


def crawled(folder, run, *args: str) -> tuple:
    """Exit status, files left, feed texts and log of ``scrapy crawl mitrade`` into ``folder``."""
    out = folder / "out.jsonl"
    proc = run([*SCRAPY, "crawl", "mitrade", "-a", f"urls={BTC}", "-s", f"VCR_CASSETTE={MITRADE_CASSETTE}",
                "-s", f"HISTORY_URI={folder / 'history'}", "-O", str(out), *args],
               cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"}, timeout=300)
    feeds = sorted(out.parent.glob("out.jsonl*"))
    return (proc.returncode, sorted(p.name.split(".failed-")[0] for p in folder.iterdir()),
            [feed.read_text(encoding="utf-8") for feed in feeds],
            [line.replace(str(folder), "FOLDER") for line in messages(proc.stderr)])


def real_run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


@pytest.mark.parametrize("gate", [[], ["-s", 'FIELD_COVERAGE_MIN={"date_modified": 1.0}']], ids=["ok", "gate"])
def test_a_crawl_writes_and_logs_what_the_real_interpreter_does(tmp_path, gate):
    forked = crawled(tmp_path / "forked", forkserver.run, *gate)
    assert forked == crawled(tmp_path / "real", real_run, *gate)
    assert forked[0] == (1 if gate else 0) and forked[2]


def test_a_child_reads_the_environment_it_is_given_not_the_zygotes(tmp_path):
    """The project settings read BROADSHEET_HISTORY_URI at import: each child imports them again."""
    for place in ("a", "b"):
        env = {**os.environ, "BROADSHEET_HISTORY_URI": str(tmp_path / place)}
        forked, real = both("settings", "--get", "HISTORY_URI", env=env)
        assert forked.stdout == real.stdout == f"{tmp_path / place}\n"


def test_other_interpreters_folders_and_startup_variables_run_as_subprocesses(tmp_path):
    server = forkserver._SERVER
    assert server.serves([*SCRAPY, "version"], ROOT, None)
    assert not server.serves([*SCRAPY, "version"], tmp_path, None)
    assert not server.serves(["scrapy", "version"], ROOT, None)
    assert not server.serves([*SCRAPY, "version"], ROOT, {**os.environ, "PYTHONHASHSEED": "7"})
    assert not server.serves([*SCRAPY, "version"], ROOT, {**os.environ, "PYTHONWARNINGS": "error"})


def test_a_signalled_child_reports_the_signal_as_subprocess_does():
    proc = forkserver.popen([*SCRAPY, "crawl", "mitrade", "-s", f"VCR_CASSETTE={MITRADE_CASSETTE}",
                             "-s", "DOWNLOAD_DELAY=5", "-s", "CONCURRENT_REQUESTS=1"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert isinstance(proc, forkserver.ForkedProcess) and proc.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.2)
    proc.kill()
    assert proc.wait(timeout=60) == -9 and proc.poll() == -9
