"""A crawl starts with what it uses: every test crawl is a fresh `scrapy crawl` process, so what its
start imports is paid hundreds of times by the suite (and once by every cron run)."""

from __future__ import annotations

import hashlib
import json
import random
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import MITRADE_CASSETTE, ROOT

from broadsheet.state.stories import BANDS, NUM_PERM, ROWS, SEED, band_hashes, minhash_values

REPORT_MODULES = r"""
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules))))
from scrapy.cmdline import execute
sys.argv = ["scrapy", *sys.argv[1:]]
execute()
"""
# Only a Parquet feed, a dataset, a table, a shared frontier or a report browser needs these.
UNUSED_BY_A_JSONL_CRAWL = ("pyarrow", "pyiceberg", "datasketch", "scipy", "duckdb", "polars",
                           "pandas", "redis", "sqlalchemy")


def test_a_jsonl_crawl_imports_no_table_dataframe_or_server_library(tmp_path):
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-c", REPORT_MODULES, "crawl", "mitrade", "-O", str(out),
                           "-s", f"VCR_CASSETTE={MITRADE_CASSETTE}", "-s", f"HISTORY_URI={tmp_path / 'history'}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6  # the crawl did its work: stories were keyed
    imported = json.loads(proc.stdout.strip().splitlines()[-1])
    unused = sorted(m for m in imported if m.split(".")[0] in UNUSED_BY_A_JSONL_CRAWL)
    assert not unused, f"a JSON Lines crawl imported {unused}: import them where they are used"


def shingles(seed: int) -> list[bytes]:
    draw = random.Random(seed)
    words = [draw.choice(["oil", "rate", "bank", "Öl", "株価", "", "x" * 40]) for _ in range(draw.randint(0, 3000))]
    return [" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))]


@pytest.mark.parametrize("seed", range(8))
def test_story_minhash_is_datasketchs(seed):
    """The story key's MinHash is computed without importing datasketch (which imports scipy); the
    values are datasketch's, so the bands kept in a crawl state stay comparable."""
    from datasketch import MinHash

    values = shingles(seed)
    reference = MinHash(num_perm=NUM_PERM, seed=SEED)
    reference.update_batch(values)
    ours = minhash_values(values)
    assert ours.dtype == reference.hashvalues.dtype
    assert np.array_equal(ours, reference.hashvalues)


def fixture_bodies() -> list[str]:
    """The bodies the fixtures expect: real articles of every fixture site (English, German)."""
    paths = sorted(ROOT.glob("fixtures/*/*/expected.json"))
    bodies = (json.loads(path.read_text(encoding="utf-8")).get("body") for path in paths)
    return [body for body in bodies if isinstance(body, str)]


def plain_band_hashes(text: str) -> list[int]:
    """The story bands as the module docstring states them, with datasketch's MinHash: the reference."""
    from datasketch import MinHash

    words = re.findall(r"\w+", text.lower())
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update_batch([" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))])
    values = minhash.hashvalues
    return [int.from_bytes(hashlib.blake2b(band.to_bytes(2, "big") + values[band * ROWS:(band + 1) * ROWS]
                                           .astype(">u8").tobytes(), digest_size=4).digest(), "big", signed=True)
            for band in range(BANDS)]


def test_story_bands_are_the_plain_minhash_bands_of_real_texts():
    """Story keys kept in crawl states stay valid: the bands of the fixtures' bodies (and of texts shorter than a
    shingle) are those of the plain computation, shingle by shingle."""
    texts = [*fixture_bodies(), "", "  ", "Öl", "one two three four", "one two three four five", "A a A a A a"]
    assert len(texts) > 40
    for text in texts:
        assert band_hashes(text) == plain_band_hashes(text), text[:80]
