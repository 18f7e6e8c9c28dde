"""``scrapy egg [PATH]``: the project as an egg for Scrapyd (``scrapyd-deploy --egg PATH``).

Default ``PATH``: ``out/broadsheet.egg``. See ``broadsheet/nodes/egg.py`` for what it holds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from broadsheet.commands import ProjectTool

DEFAULT = Path("out") / "broadsheet.egg"


class Command(ProjectTool, ScrapyCommand):
    """Build the egg Scrapyd deploys."""

    def syntax(self) -> str:
        """Command syntax."""
        return "[PATH]"

    def short_desc(self) -> str:
        """One-line description."""
        return "Build the project's egg for Scrapyd nodes (deploy it with scrapyd-deploy --egg PATH)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Write the egg; print its path."""
        from broadsheet.nodes.egg import build_egg

        if len(args) > 1:
            raise UsageError("give at most one PATH")
        path = build_egg(Path(args[0]) if args else DEFAULT)
        print(f"wrote {path}")
