"""A crawl killed with SIGKILL mid-export leaves no half file and the previous dataset intact."""

from __future__ import annotations

import signal
import sys

import pytest
from conftest import MITRADE_CASSETTE, ROOT

from broadsheet.storage.files import HOST
from broadsheet.testing import forkserver


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet"])
def test_sigkill_mid_export_leaves_previous_file(tmp_path, name):
    from helpers.killpoint import kill_args

    final = tmp_path / name
    final.write_bytes(b"previous complete dataset\n")
    # SIGKILLed once three of the six items are written, one request at a time: more are to come
    proc = forkserver.run(
        [sys.executable, "-m", "scrapy", "crawl", "mitrade", "-O", str(final), "-s", f"VCR_CASSETTE={MITRADE_CASSETTE}",
         *kill_args("item:3"), "-s", "CONCURRENT_REQUESTS=1", "-s", "PARQUET_ROW_GROUP_SIZE=1"],
        cwd=ROOT, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    (temporary,) = tmp_path.glob(f".{name}.{HOST}-*.tmp")
    assert temporary.stat().st_size > 0, "no item was being written when the kill came"
    assert final.read_bytes() == b"previous complete dataset\n"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [name]


def test_a_finished_crawl_replaces_the_file(crawl, tmp_path):
    final = tmp_path / "out.jsonl"
    final.write_text("previous\n")
    result = crawl("mitrade")
    assert result.returncode == 0
    assert len(final.read_text().splitlines()) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
