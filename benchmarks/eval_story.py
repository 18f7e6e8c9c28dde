"""How well the ``story`` key groups near-duplicates: false merges and false splits on real texts.

Texts: every body with ground truth in a corpora folder laid out like ``../shared/corpora``
(``<corpus>/<page>/expected.json``, ``articleBody``) and, when given, the Mitrade day truths
(``expected-days/day-N.json``: short provider stories, several per topic). Each text is keyed
through the real code (``assign_story`` on an in-memory ``CrawlState``), then a syndicated copy of
each is keyed after all originals, as another site's page would be. Copies are made the way wire
copy is republished (seeded, reproducible): ``credit`` adds a dateline and a credit line; ``trim``
also drops the last paragraph; ``edit`` also changes one word in 40.

- false split: a copy that does not get its original's story (share of copies);
- false merge: a copy that gets another text's story, and pairs of originals whose exact 5-word
  shingle Jaccard is below 0.5 that got one story (share of all pairs of originals).

    .venv/bin/python benchmarks/eval_story.py ../shared/corpora --days ../shared/sites/mitrade/days
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

from common import ROOT  # noqa: F401 - puts the checkout on sys.path

from broadsheet.state.store import CrawlState
from broadsheet.state.stories import SHINGLE, assign_story

_WORD = re.compile(r"\w+")


def texts(corpora: Path, days: Path | None) -> list[tuple[str, str]]:
    """(id, body) of every body with ground truth of at least 40 words."""
    found = []
    for expected in sorted(corpora.glob("*/*/expected.json")):
        body = json.loads(expected.read_text(encoding="utf-8")).get("articleBody")
        if body and len(body.split()) >= 40:
            found.append((f"{expected.parent.parent.name}/{expected.parent.name}", body))
    for truth in sorted(days.glob("expected-days/day-*.json")) if days else []:
        for record in json.loads(truth.read_text(encoding="utf-8"))["live"]:
            key = f"mitrade/{record['article_id']}:{record['language']}"
            if record.get("body") and key not in dict(found):
                found.append((key, record["body"]))
    return found


def syndicated(body: str, how: str, rng: random.Random) -> str:
    """A republished copy of ``body`` (see the module's kinds)."""
    paragraphs = [p for p in body.split("\n") if p.strip()]
    if how in ("trim", "edit") and len(paragraphs) > 2:
        paragraphs = paragraphs[:-1]
    text = "LONDON (Wire) - " + "\n".join(paragraphs) + "\n(Reporting by Ana Lima; Editing by Tom Hale)"
    if how == "edit":
        words = text.split(" ")
        for i in rng.sample(range(len(words)), max(1, len(words) // 40)):
            words[i] = "changed"
        text = " ".join(words)
    return text


def shingles(text: str) -> set[str]:
    """The 5-word shingles ``band_hashes`` signs."""
    words = _WORD.findall(text.lower())
    return {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}


def dissimilar_pairs(found: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], int]:
    """Pairs of originals whose exact shingle Jaccard is below 0.5 (merging them is wrong), and
    how many pairs are near-duplicates (0.7 and above)."""
    signed = {key: shingles(body) for key, body in found}
    index: dict[str, set[str]] = {}
    for key, grams in signed.items():
        for gram in grams:
            index.setdefault(gram, set()).add(key)
    overlap: Counter[tuple[str, str]] = Counter()
    for keys in index.values():
        overlap.update(itertools.combinations(sorted(keys), 2))
    near = sum(n / len(signed[a] | signed[b]) >= 0.7 for (a, b), n in overlap.items())
    similar = {pair for pair, n in overlap.items() if n / len(signed[pair[0]] | signed[pair[1]]) >= 0.5}
    return [pair for pair in itertools.combinations(sorted(signed), 2) if pair not in similar], near


def evaluate(found: list[tuple[str, str]], how: str, dissimilar: list[tuple[str, str]]) -> dict[str, float]:
    """False split and false merge rates of one kind of copy."""
    rng = random.Random(13)
    state = CrawlState.open(None)
    started = time.perf_counter()
    stories = {key: assign_story(state, body, key, None) for key, body in found}
    copies = {key: assign_story(state, syndicated(body, how, rng), f"copy:{key}", None) for key, body in found}
    elapsed = (time.perf_counter() - started) / (2 * len(found)) * 1e3
    state.close()
    split = sum(copies[key] != stories[key] and copies[key] == f"copy:{key}" for key, _ in found)
    merged_copy = sum(copies[key] not in (stories[key], f"copy:{key}") for key, _ in found)
    sizes = Counter(stories.values())
    merged_pairs = sum(stories[a] == stories[b] for a, b in dissimilar)
    return {"texts": len(found), "false_split": split / len(found), "false_merge_copy": merged_copy / len(found),
            "false_merge_pairs": merged_pairs, "pairs": len(dissimilar), "largest_story": max(sizes.values()),
            "ms_per_text": elapsed}


def main() -> None:
    """Print one row per kind of copy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path)
    parser.add_argument("--days", type=Path, default=None, help="the Mitrade days folder (its expected-days/)")
    args = parser.parse_args()
    found = texts(args.corpora, args.days)
    dissimilar, near = dissimilar_pairs(found)
    print(f"{len(found)} texts; {near} pairs of originals are near-duplicates (J >= 0.7)")
    print("| copies | false split | false merge (copies) | false merges (pairs of originals with J < 0.5) "
          "| largest story | ms per text |")
    print("|---|---|---|---|---|---|")
    for how in ("credit", "trim", "edit"):
        r = evaluate(found, how, dissimilar)
        print(f"| {how} | {r['false_split']:.1%} | {r['false_merge_copy']:.1%} | "
              f"{r['false_merge_pairs']} of {r['pairs']:,} | {r['largest_story']} | {r['ms_per_text']:.2f} |")


if __name__ == "__main__":
    main()
