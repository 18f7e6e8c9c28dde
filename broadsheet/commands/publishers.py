"""``scrapy publishers``: regenerate the table of publishers, ``docs/publishers.md``."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand

from broadsheet.commands import ProjectTool


class Command(ProjectTool, ScrapyCommand):
    """Write docs/publishers.md from the spiders and their cases."""

    def syntax(self) -> str:
        """Command syntax."""
        return ""

    def short_desc(self) -> str:
        """One-line description."""
        return "Regenerate docs/publishers.md (spiders, domains, languages, fields, layouts, cases)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Render and write the table atomically."""
        from broadsheet.storage.files import write_text_atomically
        from broadsheet.testing.publishers import TABLE, render

        write_text_atomically(TABLE, render())
        print(f"wrote {TABLE}")
