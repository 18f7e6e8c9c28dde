"""The ``story`` key: one key for near-duplicate texts across URLs and sites (MinHash + LSH).

Each body is shingled (5-word windows), signed with a 64-permutation MinHash (datasketch), and
cut into 16 bands of 4 rows; each band's hash is kept in the state (``story_bands``), so the index
persists across runs and scales with SQLite, not memory. A new record joins the story sharing the
most bands with it when at least ``MIN_SHARED_BANDS`` bands match (about Jaccard 0.7 and above:
wire copy republished with light edits), else it starts a story of its own. A record whose site
and article id already have a story (a translation, a locale copy) joins that story first.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import Counter

from datasketch import MinHash

NUM_PERM, BANDS, ROWS = 64, 16, 4
MIN_SHARED_BANDS = 4
SHINGLE = 5
_WORD = re.compile(r"\w+")


def band_hashes(text: str) -> list[int]:
    """The LSH band keys of ``text`` (signed 64-bit integers, one per band)."""
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    signature = MinHash(num_perm=NUM_PERM, seed=13)
    signature.update_batch([s.encode("utf-8") for s in shingles])
    values = signature.hashvalues
    keys = []
    for band in range(BANDS):
        raw = band.to_bytes(2, "big") + values[band * ROWS:(band + 1) * ROWS].astype(">u8").tobytes()
        keys.append(int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big", signed=True))
    return keys


def assign_story(db: sqlite3.Connection, text: str | None, own_key: str, sibling: str | None) -> str:
    """The story of a record: its sibling's (same site and id), else a near-duplicate's, else
    ``own_key``; its bands are indexed under the story either way."""
    bands = band_hashes(text) if text else []
    story = sibling
    if story is None and bands:
        marks = ",".join("?" * len(bands))
        shared = Counter(row[0] for row in db.execute(f"select story from story_bands where band in ({marks})", bands))
        best = shared.most_common(1)
        story = best[0][0] if best and best[1] >= MIN_SHARED_BANDS else None
    story = story or own_key
    db.executemany("insert or ignore into story_bands values (?, ?)", [(b, story) for b in bands])
    return story
