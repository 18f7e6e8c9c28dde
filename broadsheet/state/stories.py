"""The ``story`` key: one key for near-duplicate texts across URLs and sites (MinHash + LSH).

Each body is shingled (5-word windows), signed with a 64-permutation MinHash (datasketch), and cut into
32 bands of 2 rows; each band's 32-bit hash is kept in the state (``story_bands``), so the index
persists across runs and scales with SQLite, not memory. A new record joins the story sharing the most
bands with it (SQLite counts them; of two sharing as many, the older) when at least ``MIN_SHARED_BANDS``
(8) bands match, else it starts a story of its own. A band matches with probability J² for texts of
shingle Jaccard J, so 8 of 32 sits near J = 0.5: wire copy republished with a dateline, a credit line, a
paragraph less or a word in 40 changed joins its story, stories of the same topic do not.
``benchmarks/eval_story.py`` measures it on the corpora (false split 0% / 0.8% / 3.3% for those three
kinds of copy, no false merge in 120,294 pairs; 16 bands of 4 rows needing 4, the first choice, split 0%
/ 5.3% / 29.1%). A record whose site and article id already have a story (a translation, a locale copy)
joins that story first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

if TYPE_CHECKING:
    from broadsheet.state.store import CrawlState

NUM_PERM, BANDS, ROWS = 64, 32, 2
SEED = 13
MIN_SHARED_BANDS = 8
SHINGLE = 5
_WORD = re.compile(r"\w+")


_SIGNED: dict[str, list[int]] = {}
SIGNED_MAX = 1024
"""Texts whose band keys ``keep_bands`` holds at most (the oldest go first): pages read ahead of the pipelines."""


def keep_bands(text: str, bands: list[int]) -> None:
    """Hold ``bands``, computed elsewhere as ``band_hashes(text)``, for the next ``band_hashes(text)`` call (once):
    an extraction worker signs the body of each page it reads (``broadsheet.middlewares.extraction``), so that
    the crawl's process, which runs the pipelines, does not."""
    if len(_SIGNED) >= SIGNED_MAX:
        del _SIGNED[next(iter(_SIGNED))]
    _SIGNED[text] = bands


def band_hashes(text: str) -> list[int]:
    """The LSH band keys of ``text`` (signed 32-bit integers, one per band: 32 million bands of a
    million stories collide by chance in 0.7% of lookups, and a merge needs ``MIN_SHARED_BANDS``)."""
    signed = _SIGNED.pop(text, None)
    if signed is not None:
        return signed
    values = minhash_values(shingles(text))
    raw = values.astype(">u8").tobytes()
    row = ROWS * 8  # bytes of one band's rows
    return [int.from_bytes(hashlib.blake2b(band.to_bytes(2, "big") + raw[band * row:(band + 1) * row],
                                           digest_size=4).digest(), "big", signed=True)
            for band in range(BANDS)]


def shingles(text: str) -> set[bytes]:
    """The distinct ``SHINGLE``-word windows of the lower-cased text, UTF-8, words joined by one space (a text
    of fewer words is one shingle: all of them, or ``b""``). Each word is encoded once and the windows zipped,
    not sliced and joined as text then encoded: 1.6 -> 1.0 ms a corpus body."""
    words = [word.encode("utf-8") for word in _WORD.findall(text.lower())]
    if len(words) <= SHINGLE:
        return {b" ".join(words)}
    return set(map(b" ".join, zip(*(words[i:] for i in range(SHINGLE)), strict=False)))


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    draw = np.random.RandomState(SEED)
    a = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)  # odd: a bijection
    b = draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def warm_up() -> None:
    """Import numpy and draw the permutations now (about 0.07 s): a crawl does it while it starts, so its
    first new record does not stall the crawl, and ``GC_FREEZE`` freezes numpy with the start-up's objects."""
    _permutations()


def minhash_values(values: Collection[bytes]) -> np.ndarray:
    """``datasketch.MinHash(num_perm=NUM_PERM, seed=SEED)`` after ``update_batch(values)``: its
    ``hashvalues`` (uint32), by its default ``affine32`` scheme: each value's SHA-1 (first 4 bytes,
    little-endian), mixed by the MurmurHash3 finalizer, then ``a * h + b`` modulo 2**32 per
    permutation, the minimum over the values. Computed here because importing datasketch imports
    scipy (about 0.3 s of every crawl's start); tests/test_startup.py holds the two equal."""
    import numpy as np

    sha1 = hashlib.sha1
    hashes = np.frombuffer(b"".join([sha1(v).digest()[:4] for v in values]), dtype="<u4")  # a list: join sizes it once
    h = hashes.astype(np.uint32).reshape(-1, 1)
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    h = h ^ (h >> np.uint32(16))
    a, b = _permutations()
    return (h * a + b).min(axis=0)


def assign_story(state: CrawlState, text: str | None, own_key: str, sibling: str | None) -> str:
    """The story of a record: its sibling's (same site and id), else a near-duplicate's, else
    ``own_key``; its bands are indexed under the story either way."""
    bands = band_hashes(text) if text else []
    story = sibling
    if story is None and bands:
        shared = state.story_sharing_most(bands)
        story = shared[0] if shared and shared[1] >= MIN_SHARED_BANDS else None
    story = story or own_key
    state.index_bands(bands, story)
    return story
