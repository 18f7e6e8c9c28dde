"""Extraction's CPU per page against trafilatura's, in one process, on the same corpus pages, with the quality.

    .venv/bin/python benchmarks/bench_extract.py ../shared/corpora [--limit N] [--rounds R] [--profile N]

Each page (``<corpus>/<page>/page.html.gz``, as ``eval_corpora.py`` loads them) becomes a Scrapy response
with its original bytes; the article spider's page path runs on it as a crawl runs it (the charset
middleware, the article check, every field's sources, the item), then trafilatura's ``bare_extraction``
(with metadata) on the same bytes, page after page, so both see the same machine load. Prints CPU
ms/page (``time.process_time``, best of ``--rounds``) of each and their ratio, and the fields scored as
``eval_corpora.py`` scores them (right/checked, body mean F1). ``--profile N`` runs the spider's path once
more under cProfile and prints its N costliest functions (own time, and cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path

from common import ROOT  # noqa: F401 - puts the checkout on sys.path
from eval_corpora import FIELDS, content_type, load_pages, score


def spider_path() -> Callable[[dict], dict]:
    """A function of one page: the article spider's record of it (``{}`` when skipped), as a crawl makes it."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from broadsheet.middlewares.charset import CharsetMiddleware
    from spiders.article import ArticleSpider

    crawler = get_crawler(ArticleSpider)
    spider = ArticleSpider.from_crawler(crawler, urls="https://example.invalid/")
    middleware = CharsetMiddleware.from_crawler(crawler)
    served = formatdate(usegmt=True)

    def run(page: dict) -> dict:
        request = Request(page["url"])
        response = HtmlResponse(url=page["url"], body=page["html"], request=request,
                                headers={"Content-Type": content_type(page["html"]), "Date": served})
        response = middleware.process_response(request, response)
        for article in spider.parse_article(response):
            return {"headline": article.headline, "authors": article.authors, "body": article.body,
                    "date": article.date_published or article.publication_date}
        return {}

    return run


def trafilatura_path(page: dict) -> dict:
    """trafilatura's record of one page (headline, authors, date, body)."""
    import trafilatura

    url = page["url"] if "corpus.invalid" not in page["url"] else None
    doc = trafilatura.bare_extraction(page["html"], url=url, with_metadata=True)
    doc = doc.as_dict() if hasattr(doc, "as_dict") else (doc or {})
    return {"headline": doc.get("title"), "date": doc.get("date"), "body": doc.get("text"),
            "authors": [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()]}


def timed(path: Callable[[dict], dict], page: dict) -> tuple[dict, float]:
    """The path's record of the page and its CPU seconds (a failing page gives ``{}``)."""
    started = time.process_time()
    try:
        record = path(page)
    except Exception:  # noqa: BLE001 - a failed page scores nothing
        record = {}
    return record, time.process_time() - started


def main() -> None:
    """Time both paths, print ms/page, the ratio and the scores; profile when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="pages per corpus (0: all)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds; each path's best round counts")
    parser.add_argument("--profile", type=int, default=0, help="print the spider path's N costliest functions")
    args = parser.parse_args()
    import logging

    logging.disable(logging.CRITICAL)
    try:  # a missing anchor must not score as one that reads nothing (every page's failure is caught below)
        import trafilatura  # noqa: F401
    except ImportError as exc:
        print(f"bench_extract: trafilatura does not import ({exc}); install the anchors with "
              f'.venv/bin/pip install ".[bench]"', file=sys.stderr)
        raise SystemExit(2) from None
    pages = load_pages(args.corpora, args.limit)
    paths = {"article": spider_path(), "trafilatura": trafilatura_path}
    for path in paths.values():  # imports and first-use tables out of the timing
        timed(path, pages[0])
    spent: dict[str, list[float]] = defaultdict(list)
    records: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        totals: Counter = Counter()
        for tool in paths:
            records[tool] = []
        for page in pages:
            for tool, path in paths.items():
                record, seconds = timed(path, page)
                records[tool].append(record)
                totals[tool] += seconds
        for tool in paths:
            spent[tool].append(1000 * totals[tool] / len(pages))
    with open("/proc/loadavg") as loadavg:
        load = loadavg.read().split()[:3]
    best = {tool: min(rounds) for tool, rounds in spent.items()}
    print(f"{len(pages)} pages, CPU ms/page (best of {args.rounds}; load {' '.join(load)}): "
          + ", ".join(f"{tool} {ms:.2f}" for tool, ms in best.items())
          + f"; trafilatura/article {best['trafilatura'] / best['article']:.2f}x")
    for tool in paths:
        counts: dict[str, Counter] = defaultdict(Counter)
        f1s = []
        for page, record in zip(pages, records[tool], strict=True):
            checks = score(record, page["truth"])
            if "_f1" in checks:
                f1s.append(checks.pop("_f1"))
            for field, ok in checks.items():
                counts[field]["n"] += 1
                counts[field]["ok"] += bool(ok)
        cells = " ".join(f"{f} {counts[f]['ok']}/{counts[f]['n']}" for f in FIELDS)
        print(f"{tool:12s} {cells} bodyF1 {statistics.mean(f1s):.4f}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for page in pages:
            timed(paths["article"], page)
        profiler.disable()
        stats = pstats.Stats(profiler)
        for order in ("tottime", "cumulative"):
            stats.sort_stats(order).print_stats(args.profile)


if __name__ == "__main__":
    main()
