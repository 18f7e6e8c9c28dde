"""How far the NewsSpider base gets on pages it was never configured for.

    python benchmarks/eval_corpora.py ../shared/corpora [--limit N]

Runs the base's own extraction (JSON-LD, meta tags, ``<h1>``, ``<article>`` body; no site
configuration) over every page of a corpus folder laid out as ``<corpus>/<page>/page.html.gz`` with
``expected.json``, and prints, per corpus and field, how many pages have ground truth and the
share the base gets right: headline (normalised equality), authors (same names, case-folded),
date_published (same instant, or same day when the truth has no time), body (token F1 >= 0.9, or
the truth's prefix). Shows where a new site needs configuration and where the base needs work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapy.http import HtmlResponse, Request  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from broadsheet.news.spider import NewsSpider  # noqa: E402
from broadsheet.normalize.text import clean_text  # noqa: E402


class GenericSpider(NewsSpider):
    """The base with nothing site-specific."""

    name = "generic"
    site = "generic"
    article_url = re.compile(r"(?P<id>.+)")


def tokens(text: str | None) -> Counter[str]:
    """Lower-case word tokens of ``text`` with their counts."""
    return Counter(re.findall(r"\w+", (text or "").lower()))


def f1(got: str | None, want: str | None) -> float:
    """Token F1 of ``got`` against ``want``."""
    a, b = tokens(got), tokens(want)
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def same_instant(got: str | None, want: str, publication_date) -> bool:
    """Whether ``got`` is the day (or instant) the truth ``want`` gives."""
    want = want.strip().replace(" ", "T", 1)
    try:
        expected = dt.datetime.fromisoformat(want.replace("Z", "+00:00"))
    except ValueError:
        return False
    if got and expected.tzinfo:
        return dt.datetime.fromisoformat(got.replace("Z", "+00:00")) == expected
    day = got[:10] if got else (publication_date.isoformat() if publication_date else None)
    return day == expected.date().isoformat()


def score(article, truth: dict) -> dict[str, bool]:
    """Right or wrong per field the truth checks."""
    checks = {}
    if truth.get("headline"):
        checks["headline"] = clean_text(article.headline).lower() == clean_text(truth["headline"]).lower()
    if truth.get("authors"):
        checks["authors"] = ({a.casefold() for a in article.authors}
                             == {clean_text(a).casefold() for a in truth["authors"]})
    if truth.get("datePublished"):
        checks["date_published"] = same_instant(article.date_published, truth["datePublished"],
                                                article.publication_date)
    if truth.get("articleBody"):
        checks["body"] = f1(article.body, truth["articleBody"]) >= 0.9
    elif truth.get("articleBodyPrefix"):
        prefix = clean_text(truth["articleBodyPrefix"])[:200].lower()
        checks["body"] = bool(prefix) and clean_text(article.body).lower().startswith(prefix[:80])
    return checks


def main() -> None:
    """Score every page of the corpus folder and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="pages per corpus (0: all)")
    args = parser.parse_args()
    spider = GenericSpider.from_crawler(get_crawler(GenericSpider))
    totals: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for page in sorted(args.corpora.glob("*/*/page.html.gz")):
        corpus = page.parent.parent.name
        if args.limit and sum(totals[corpus]["_pages"].values()) >= args.limit:
            continue
        truth = json.loads((page.parent / "expected.json").read_text(encoding="utf-8"))
        url = truth.get("url") if isinstance(truth.get("url"), str) else ""
        url = ("https:" + url if url.startswith("//") else url) if url.startswith(("http", "//")) \
            else f"https://example.invalid/{page.parent.name}"
        response = HtmlResponse(url=url, body=gzip.decompress(page.read_bytes()), request=Request(url),
                                headers={"Content-Type": "text/html"})
        totals[corpus]["_pages"]["n"] += 1
        try:
            article = spider.extract_article(response)
        except Exception as exc:  # noqa: BLE001 - an evaluation counts failures, it does not stop
            totals[corpus]["_errors"][type(exc).__name__] += 1
            continue
        for field, ok in score(article, truth).items():
            totals[corpus][field]["checked"] += 1
            totals[corpus][field]["right"] += ok
    fields = ("headline", "authors", "date_published", "body")
    print(f"{'corpus':22s} {'pages':>5s} " + " ".join(f"{f:>16s}" for f in fields) + "  errors")
    overall: dict[str, Counter] = defaultdict(Counter)
    for corpus, counts in sorted(totals.items()):
        for field in fields:
            overall[field].update(counts[field])
        errors = dict(counts["_errors"]) or ""
        print(f"{corpus:22s} {counts['_pages']['n']:5d} " + " ".join(cell(counts[f]) for f in fields) + f"  {errors}")
    print(f"{'all':22s} {'':5s} " + " ".join(cell(overall[f]) for f in fields))


def cell(count: Counter) -> str:
    """``right/checked  share%`` right-aligned, or ``-`` where no page has ground truth."""
    if not count["checked"]:
        return f"{'-':>16s}"
    text = f"{count['right']}/{count['checked']} {100 * count['right'] / count['checked']:.0f}%"
    return f"{text:>16s}"

if __name__ == "__main__":
    main()
