"""A crawl killed with SIGKILL mid-export leaves no half file and the previous dataset intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import MITRADE_CASSETTE, ROOT

from broadsheet.storage.files import HOST


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet"])
def test_sigkill_mid_export_leaves_previous_file(tmp_path, name):
    final = tmp_path / name
    final.write_bytes(b"previous complete dataset\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "mitrade", "-O", str(final), "-s", f"VCR_CASSETTE={MITRADE_CASSETTE}",
         # slow the replay down so that the kill lands while items are being written
         "-s", "DOWNLOAD_DELAY=0.7", "-s", "CONCURRENT_REQUESTS=1", "-s", "PARQUET_ROW_GROUP_SIZE=1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    temporary = tmp_path / f".{name}.{HOST}-{proc.pid}.tmp"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if temporary.exists() and temporary.stat().st_size > 0:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl finished before it could be killed"
        assert temporary.stat().st_size > 0, "no item was being written when the kill came"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert final.read_bytes() == b"previous complete dataset\n"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [name]


def test_a_finished_crawl_replaces_the_file(crawl, tmp_path):
    final = tmp_path / "out.jsonl"
    final.write_text("previous\n")
    result = crawl("mitrade")
    assert result.returncode == 0
    assert len(final.read_text().splitlines()) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
