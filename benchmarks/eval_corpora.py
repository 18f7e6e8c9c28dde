"""The ``article`` spider against trafilatura and htmldate on a corpus folder: same pages, one run, per corpus.

    python benchmarks/eval_corpora.py ../shared/corpora [--limit N] [--worst N]   (trafilatura: pip install ".[bench]")

Builds one cassette of every ``<corpus>/<page>/page.html.gz`` (with ``expected.json``), runs the contract
``scrapy crawl article -a urls_file=F -s VCR_CASSETTE=C -O out.jsonl`` (quarantined items count too; ms/page is
the whole crawl's wall time per page, start-up included), runs trafilatura (headline, authors, date, body) and
htmldate (date) in this process on the same pages, and prints per corpus and tool: right/checked per field, mean
body token F1, ms/page; ``--worst N`` lists the N pages where the spider's body trails trafilatura's most, with
both F1s and the body source that won. Pages are served as their original bytes (a page that is not UTF-8
keeps its own charset, declared in the page, for the spider and trafilatura alike; the referee decodes every
page as UTF-8). Scoring as ../shared/checks/score.py (the referee): headline case-folded equality; authors
the same name set; date the same day; body token F1 >= 0.9 (or the truth's prefix) and mean F1.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from email.utils import formatdate
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("headline", "authors", "date", "body")


def norm(text: str | None) -> str:
    """Whitespace-normalised, NFKC, case-folded."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().casefold()


def f1(got: str | None, want: str | None) -> float:
    """Token F1 of ``got`` against ``want``."""
    a, b = Counter(re.findall(r"\w+", (got or "").lower())), Counter(re.findall(r"\w+", (want or "").lower()))
    common = sum((a & b).values())
    return 0.0 if not common else 2 * common / (sum(a.values()) + sum(b.values()))


def names(values: list[str] | None) -> set[str]:
    """The set of names in author strings ("By X and Y" split)."""
    out = set()
    for value in values or []:
        value = re.sub(r"^\s*by\s+", "", value, flags=re.I)
        for part in re.split(r"\s*(?:,|\band\b|&|\bund\b|\bet\b|\by\b)\s*", value):
            if norm(part):
                out.add(norm(part))
    return out


def day(value: object) -> str | None:
    """``YYYY-MM-DD`` at the start of a date text."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value or "").strip())
    return match.group(0) if match else None


def score(rec: dict, truth: dict) -> dict[str, float]:
    """Right (1/0) per field the truth checks; ``_f1`` the body F1 when the truth has a whole body."""
    checks: dict[str, float] = {}
    if truth.get("headline"):
        checks["headline"] = norm(rec.get("headline")) == norm(truth["headline"])
    if truth.get("authors"):
        checks["authors"] = bool(names(truth["authors"])) and names(rec.get("authors")) == names(truth["authors"])
    if truth.get("datePublished") and not truth.get("_extra", {}).get("no_date_expected"):
        checks["date"] = day(truth["datePublished"]) is not None and day(rec.get("date")) == day(truth["datePublished"])
    if truth.get("articleBody"):
        checks["_f1"] = f1(rec.get("body"), truth["articleBody"])
        checks["body"] = checks["_f1"] >= 0.9
    elif truth.get("articleBodyPrefix"):
        prefix = norm(truth["articleBodyPrefix"])[:80]
        checks["body"] = bool(prefix) and norm(rec.get("body")).startswith(prefix)
    return checks


def load_pages(corpora: Path, limit: int) -> list[dict]:
    """Every page: id, corpus, URL (a corpus.invalid one when the truth has none), HTML, truth."""
    pages, per_corpus = [], Counter()
    for path in sorted(corpora.glob("*/*/page.html.gz")):
        corpus = path.parent.parent.name
        if limit and per_corpus[corpus] >= limit:
            continue
        per_corpus[corpus] += 1
        truth = json.loads((path.parent / "expected.json").read_text(encoding="utf-8"))
        url = truth.get("url") if str(truth.get("url", "")).startswith("http") else None
        pages.append({"id": f"{corpus}/{path.parent.name}", "corpus": corpus, "truth": truth,
                      "url": url or f"https://corpus.invalid/{corpus}/{path.parent.name}",
                      "html": gzip.decompress(path.read_bytes())})
    return pages


def as_text(html: bytes) -> str | bytes:
    """UTF-8 pages as text (a readable cassette), others as their bytes."""
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html


def content_type(html: bytes) -> str:
    """``text/html; charset=utf-8`` for UTF-8 pages; plain ``text/html`` (the page's own declaration) for others."""
    return "text/html; charset=utf-8" if isinstance(as_text(html), str) else "text/html"


def crawl(pages: list[dict], tmp: Path) -> tuple[dict[str, dict], float]:
    """The article spider's records by URL, and its wall time per distinct page in ms."""
    date = formatdate(usegmt=True)
    by_url = {p["url"]: p for p in pages}
    interactions = [{"request": {"body": None, "headers": {}, "method": "GET", "uri": url},
                     "response": {"status": {"code": 200, "message": "OK"},
                                  "headers": {"Content-Type": [content_type(page["html"])], "Date": [date]},
                                  "body": {"string": as_text(page["html"])}}} for url, page in by_url.items()]
    for host in sorted({u.split("/")[2] for u in by_url}):
        for scheme in ("http", "https"):
            interactions.append({"request": {"body": None, "headers": {}, "method": "GET",
                                             "uri": f"{scheme}://{host}/robots.txt"},
                                 "response": {"status": {"code": 404, "message": "Not Found"},
                                              "headers": {"Date": [date]}, "body": {"string": ""}}})
    (tmp / "c.yaml").write_text(yaml.dump({"version": 1, "interactions": interactions},
                                          Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True))
    (tmp / "urls.txt").write_text("\n".join(by_url) + "\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "scrapy", "crawl", "article", "-a", f"urls_file={tmp / 'urls.txt'}",
                    "-s", f"VCR_CASSETTE={tmp / 'c.yaml'}", "-s", "QUARANTINE_MAX_SHARE=1", "-s",
                    f"QUARANTINE_URI={tmp / 'q.jsonl'}", "-s", "FIELD_COVERAGE_MIN={}", "-s", "LOG_LEVEL=WARNING",
                    "-O", str(tmp / "out.jsonl")], cwd=ROOT, check=False, capture_output=True)
    ms = (time.perf_counter() - started) * 1000 / max(1, len(by_url))
    records = {}
    for name in ("out.jsonl", "q.jsonl"):
        path = tmp / name
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            record = json.loads(line)
            record = record.get("item", record)
            records[record.get("url")] = {"headline": record.get("headline"), "authors": record.get("authors"),
                                          "date": record.get("date_published") or record.get("publication_date"),
                                          "body": record.get("body"),
                                          "body_source": (record.get("field_sources") or {}).get("body")}
    return records, ms


def anchors(page: dict) -> dict[str, tuple[dict, float]]:
    """trafilatura's and htmldate's output for one page, each with its ms."""
    import trafilatura
    from htmldate import find_date

    url = page["url"] if "corpus.invalid" not in page["url"] else None
    started = time.perf_counter()
    try:
        doc = trafilatura.bare_extraction(page["html"], url=url, with_metadata=True)
        doc = doc.as_dict() if hasattr(doc, "as_dict") else (doc or {})
        traf = {"headline": doc.get("title"), "date": doc.get("date"), "body": doc.get("text"),
                "authors": [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()]}
    except Exception:  # noqa: BLE001 - a failed page scores nothing
        traf = {}
    middle = time.perf_counter()
    try:
        html_date = {"date": find_date(page["html"], url=url, original_date=True, extensive_search=True)}
    except Exception:  # noqa: BLE001
        html_date = {}
    return {"trafilatura": (traf, (middle - started) * 1000),
            "htmldate": (html_date, (time.perf_counter() - middle) * 1000)}


def main() -> None:
    """Crawl, run the anchors, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="pages per corpus (0: all)")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages where the body trails trafilatura most")
    args = parser.parse_args()
    import logging

    logging.disable(logging.CRITICAL)
    pages = load_pages(args.corpora, args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        records, crawl_ms = crawl(pages, Path(tmp))
    totals: dict[tuple[str, str], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    f1s: dict[tuple[str, str], list[float]] = defaultdict(list)
    ms: dict[str, list[float]] = defaultdict(list)
    gaps: list[tuple[float, str, float, float, str | None]] = []
    for page in pages:
        outputs = {"article": (records.get(page["url"], {}), crawl_ms), **anchors(page)}
        if page["truth"].get("articleBody"):
            want = page["truth"]["articleBody"]
            ours, theirs = (f1(outputs[tool][0].get("body"), want) for tool in ("article", "trafilatura"))
            gaps.append((ours - theirs, page["id"], ours, theirs, outputs["article"][0].get("body_source")))
        for tool, (record, spent) in outputs.items():
            ms[tool].append(spent)
            for corpus in (page["corpus"], "all"):
                checks = score(record, page["truth"])
                if "_f1" in checks and tool != "htmldate":
                    f1s[(corpus, tool)].append(checks.pop("_f1"))
                checks.pop("_f1", None)
                for field, ok in checks.items():
                    if tool != "htmldate" or field == "date":
                        totals[(corpus, tool)][field]["n"] += 1
                        totals[(corpus, tool)][field]["ok"] += bool(ok)
    print(f"{'corpus':20s} {'tool':12s} " + " ".join(f"{f:>15s}" for f in FIELDS) + f" {'bodyF1':>7s} {'ms/page':>8s}")
    for corpus, tool in sorted(totals, key=lambda k: (k[0] == "all", k[0], k[1])):
        counts = totals[(corpus, tool)]
        cells = [f"{counts[f]['ok']}/{counts[f]['n']} {100 * counts[f]['ok'] / counts[f]['n']:.0f}%"
                 if counts[f]["n"] else "-" for f in FIELDS]
        body_f1 = f"{statistics.mean(f1s[(corpus, tool)]):.3f}" if f1s[(corpus, tool)] else "-"
        spent = f"{statistics.median(ms[tool]):.1f}" if corpus == "all" else ""
        print(f"{corpus:20s} {tool:12s} " + " ".join(f"{c:>15s}" for c in cells) + f" {body_f1:>7s} {spent:>8s}")
    for _, page_id, ours, theirs, source in sorted(gaps)[:args.worst]:
        print(f"worst body: {page_id:60s} article {ours:.2f} trafilatura {theirs:.2f} won by {source}")


if __name__ == "__main__":
    main()
