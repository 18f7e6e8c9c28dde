"""``scrapy sd URL``: what the extraction gets from one page, field by field (logic: ``broadsheet.extract.explain``)."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from broadsheet.commands import ProjectTool


class Command(ProjectTool, ScrapyCommand):
    """Print each field's candidates with their sources, the winner, and the resulting record."""

    def syntax(self) -> str:
        """Command syntax."""
        return "URL [--html FILE | --cassette CASSETTE | --har HAR] [--spider NAME]"

    def short_desc(self) -> str:
        """One-line description."""
        return "Show per field every candidate value, its source, the winner and the record of one page"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Where the page comes from, and whose sources read it."""
        super().add_options(parser)
        parser.add_argument("--html", metavar="FILE", help="a saved HTML file of the page")
        parser.add_argument("--cassette", metavar="CASSETTE", help="a VCR cassette holding the page")
        parser.add_argument("--har", metavar="HAR", help="a HAR capture holding the page")
        parser.add_argument("--spider", default="article", help="whose field sources to use (default: article)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Load the page, trace every field, print the report."""
        if len(args) != 1:
            raise UsageError("expected exactly one URL: scrapy sd URL [--html FILE | --cassette C | --har H]")
        from scrapy.spiderloader import SpiderLoader

        from broadsheet.extract.explain import explain, load_response, report

        try:
            spider_class = SpiderLoader.from_settings(self.settings).load(opts.spider)
        except KeyError as exc:
            raise UsageError(f"--spider {opts.spider}: no such spider (see scrapy list)", print_help=False) from exc
        try:
            response = load_response(args[0], html=opts.html, cassette=opts.cassette, har=opts.har)
        except (LookupError, OSError, ValueError) as exc:
            raise UsageError(str(exc), print_help=False) from exc
        spider = spider_class(urls=args[0])
        traced, record = explain(spider, response)
        print(report(traced, record))
