"""HTML parsers on the same corpus pages, in one process: what the base's parse costs and what the others would.

    .venv/bin/python benchmarks/bench_parse.py ../shared/corpora [--limit N] [--rounds R]

Each page (``<corpus>/<page>/page.html.gz``, its original bytes, as ``eval_corpora.py`` loads them) becomes a
Scrapy response, then is parsed by: the base's tree (``broadsheet.extract.page.tree_of``: libxml2 through lxml,
the tree every XPath source, the density body and htmldate read), resiliparse's lexbor tree as the body's
main-content extraction builds it (``resiliparse_body``: the page's second parse, from the decoded text) and from
the bytes (slower: resiliparse decodes them in Python first), and selectolax's lexbor parser
when it is installed (``pip install selectolax``: an HTML5 tree builder with CSS selectors only). Parsers take
turns page by page (each first as often) and round by round; prints CPU ms/page (``time.process_time``, best of
``--rounds``) of each and its ratio to the base's tree, so the numbers hold on a loaded machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from common import ROOT  # noqa: F401 - puts the checkout on sys.path
from eval_corpora import content_type, load_pages


def parsers() -> dict[str, Callable]:
    """Each parser as a callable of a response, the base's first."""
    from lxml import etree
    from resiliparse.parse.html import HTMLTree

    from broadsheet.extract.page import tree_of

    found: dict[str, Callable] = {
        "lxml (the base's tree)": lambda response: tree_of(response, etree.HTMLParser),
        "resiliparse (the body's second parse)": lambda response: HTMLTree.parse(response.text),
        "resiliparse from the bytes": lambda response: HTMLTree.parse_from_bytes(response.body, response.encoding),
    }
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        print("selectolax is not installed (pip install selectolax): its row is left out")
    else:
        found["selectolax (lexbor)"] = lambda response: LexborHTMLParser(response.body)
    return found


def main() -> None:
    """Parse every page by every parser, ``--rounds`` times, and print the best CPU time per page of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="pages per corpus (0: all)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from scrapy.http import HtmlResponse, Request

    pages = load_pages(args.corpora, args.limit)
    responses = [HtmlResponse(url=p["url"], body=p["html"], request=Request(p["url"]),
                              headers={"Content-Type": content_type(p["html"])}) for p in pages]
    for response in responses:
        response.text  # noqa: B018 - decoded once beforehand, as a crawl's charset check has done
    each = parsers()
    best, names = dict.fromkeys(each, float("inf")), list(each)
    for _ in range(args.rounds):
        spent = dict.fromkeys(each, 0.0)
        for index, response in enumerate(responses):
            for name in names[index % len(names):] + names[:index % len(names)]:  # each goes first as often
                parse = each[name]
                started = time.process_time()
                parse(response)
                spent[name] += time.process_time() - started
        best = {name: min(best[name], spent[name]) for name in each}
    base = best[next(iter(each))]
    megabytes = sum(len(r.body) for r in responses) / 1e6
    print(f"{len(responses)} pages, {megabytes:.0f} MB, best of {args.rounds} rounds (CPU):")
    for name, seconds in best.items():
        print(f"  {name:40s} {seconds * 1000 / len(responses):6.2f} ms/page  {seconds / base:4.2f}x the base's tree"
              f"  {megabytes / seconds:6.0f} MB/s")


if __name__ == "__main__":
    main()
