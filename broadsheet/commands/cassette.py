"""``scrapy cassette import HAR CASSETTE``: turn a browser capture into a VCR cassette."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from broadsheet.commands import ProjectTool


class Command(ProjectTool, ScrapyCommand):
    """Cassette tools; ``import`` adds a HAR 1.2 file's interactions to a cassette."""

    def syntax(self) -> str:
        """Command syntax."""
        return "import HAR CASSETTE [--url URL ...]"

    def short_desc(self) -> str:
        """One-line description."""
        return "Import a HAR 1.2 capture (browser 'Save all as HAR') into a VCR cassette"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """``--url`` keeps only the named requests."""
        super().add_options(parser)
        parser.add_argument("--url", action="append", default=[], metavar="URL",
                            help="import only this request URL (repeatable)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Import, and print how many interactions went into which cassette. Bad input (the HAR,
        a broken cassette) exits 2; a cassette that cannot be written (a full disk) exits 1 and
        leaves the cassette as it was (it is replaced whole or not at all)."""
        if len(args) != 3 or args[0] != "import":
            raise UsageError("expected: scrapy cassette import HAR CASSETTE")
        _, har, cassette = args
        from broadsheet.errors import BadInput
        from broadsheet.recording.har import import_har
        from broadsheet.recording.scrub import Scrubber

        try:
            count = import_har(har, cassette, Scrubber.from_settings(self.settings),
                               set(opts.url) if opts.url else None)
        except BadInput as exc:
            raise UsageError(str(exc), print_help=False) from exc
        except OSError as exc:  # reading failures are BadInput: this is the cassette's write
            print(f"scrapy cassette import: cannot write {cassette}: {exc.strerror or exc}; the cassette is "
                  "unchanged: free space or choose a writable place, then import again", file=sys.stderr)
            self.exitcode = 1
            return
        print(f"{count} interactions from {har} -> {cassette}")
