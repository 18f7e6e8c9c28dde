"""``scrapy fixture``: add and refresh regression cases under ``fixtures/<spider>/``.

- ``scrapy fixture add SPIDER URL... [--har FILE] [--name NAME] [--force] [--note TEXT]``: records
  each page into its case's cassette (from the live site, or from a browser capture with ``--har``),
  crawls it with the current spider and writes ``expected.json`` (the record without its empty
  values) and ``meta.json``. One case per
  URL; an existing case is replaced only with ``--force``, and a failed add leaves no folder.
- ``scrapy fixture add SPIDER --html FILE --url URL --date RFC3339``: one case from a saved page
  (``.html`` or ``.html.gz``), its cassette synthesised: the page as served at ``--date`` (the
  reference time) and an allow-all ``robots.txt``. ``--note`` is kept in ``meta.json`` (say there
  where the page's own data or a corpus's truth is wrong). New cassettes are ``cassette.yaml.gz``.
- ``scrapy fixture update SPIDER [--case NAME] [--fields a,b] [--write]``: re-runs the spider over
  each case's cassette and prints the diff against the expected records, field by field: a
  field the page gained is added, one it lost removed (expected records hold every field the
  page has and no empty value); ``--fields`` limits it to those fields.
  Writes only with ``--write``. Exit 1 when something differs and nothing was
  written, and when a file cannot be written (a full disk: one line, nothing half-written).
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from broadsheet.commands import ProjectTool


class Command(ProjectTool, ScrapyCommand):
    """Regression fixtures from the command line."""

    def syntax(self) -> str:
        """Command syntax."""
        return ("add SPIDER URL... [--har FILE | --html FILE --date RFC3339] [--name NAME] [--force] [--note TEXT] | "
                "update SPIDER [--case C] [--fields a,b] [--write]")

    def short_desc(self) -> str:
        """One-line description."""
        return "Add or refresh regression cases (recorded pages and their expected records)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Options of both sub-commands."""
        super().add_options(parser)
        parser.add_argument("--har", help="add: import the pages from this HAR capture instead of the network")
        parser.add_argument("--html", help="add: import this saved page (.html or .html.gz) as the URL's response")
        parser.add_argument("--url", help="add: the page's URL (instead of a positional URL)")
        parser.add_argument("--date", help="add --html: when the page was captured, RFC 3339 (the reference time)")
        parser.add_argument("--note", help="add: a note kept in meta.json (e.g. where the truth is wrong)")
        parser.add_argument("--name", help="add: case name (one URL only; default: from the URL)")
        parser.add_argument("--force", action="store_true", help="add: replace an existing case of that name")
        parser.add_argument("--case", help="update: only this case")
        parser.add_argument("--fields", help="update: only these comma-separated top-level fields")
        parser.add_argument("--write", action="store_true", help="update: write the new expected records")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Dispatch; bad input is a UsageError (exit 2) with the reason."""
        if len(args) < 2 or args[0] not in ("add", "update"):
            raise UsageError(f"expected: scrapy fixture {self.syntax()}")
        action, spider, rest = args[0], args[1], args[2:]
        if spider not in self._spider_names():
            raise UsageError(f"unknown spider {spider!r}; spiders: {sorted(self._spider_names())}", print_help=False)
        from broadsheet.recording.har import HarError
        from broadsheet.testing.authoring import CaseAuthor

        author = CaseAuthor(self.settings)
        try:
            self.exitcode = author.add(spider, rest, opts) if action == "add" else author.update(spider, opts)
        except HarError as exc:
            raise UsageError(f"fixture: {exc}", print_help=False) from exc
        except OSError as exc:  # reading failures are HarError: this is a write (a full disk, a read-only folder)
            done = ("the case being added was removed" if action == "add"
                    else "files not yet written are as they were (each is written whole or not at all)")
            print(f"scrapy fixture {action}: cannot write {exc.filename or f'fixtures/{spider}/'}: "
                  f"{exc.strerror or exc}; {done}: free space or make the folder writable, then run it again",
                  file=sys.stderr)
            self.exitcode = 1

    def _spider_names(self) -> list[str]:
        from scrapy.spiderloader import get_spider_loader

        return get_spider_loader(self.settings).list()
