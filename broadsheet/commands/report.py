"""``scrapy report``: regenerate the HTML reports of the run history, or compare two runs.

- ``scrapy report [SPIDER ...]``: rewrite every kept run's report and the index of each spider
  (default: every spider with a history); prints the index paths
- ``scrapy report SPIDER --compare RUN RUN``: the metrics that differ between two runs (a run
  is its id, a unique prefix of it, or ``-1`` for the newest, ``-2`` the one before, ...)

The history is where crawls put it: ``HISTORY_URI`` (``-s HISTORY_URI=...``), else
``.scrapy/history/<spider>/``.
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from broadsheet.commands import ProjectTool


def _show(metric: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and metric != "items":
        return f"{value:.1%}"
    return str(value)


class Command(ProjectTool, ScrapyCommand):
    """Reports of the run history from the command line."""

    def syntax(self) -> str:
        """Command syntax."""
        return "[SPIDER ...] [--compare RUN RUN]"

    def short_desc(self) -> str:
        """One-line description."""
        return "Regenerate the HTML run reports, or compare two runs of a spider"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """``--compare RUN RUN``."""
        super().add_options(parser)
        parser.add_argument("--compare", nargs=2, metavar="RUN", help="compare two runs of one SPIDER")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Regenerate, or compare."""
        from broadsheet.monitoring.history import History, history_folder

        uri = self.settings.get("HISTORY_URI") if self.settings else None
        if opts.compare:
            if len(args) != 1:
                raise UsageError("--compare needs exactly one SPIDER: scrapy report SPIDER --compare RUN RUN")
            self.exitcode = self.compare(History(history_folder(uri, args[0])), *opts.compare)
            return
        spiders = args or self._spiders_with_history(uri)
        if not spiders:
            raise UsageError(f"no run history in {history_folder(uri, '*')}: crawl first", print_help=False)
        from broadsheet.monitoring.report import write_reports

        for spider in spiders:
            history = History(history_folder(uri, spider))
            if not history.paths():
                raise UsageError(f"no run of {spider!r} in {history.folder} (HISTORY_URI)", print_help=False)
            write_reports(history, spider)
            print(f"{spider}: {len(history.paths())} reports, index {history.folder / 'index.html'}")

    @staticmethod
    def _spiders_with_history(uri: str | None) -> list[str]:
        from broadsheet.monitoring.history import history_folder

        root = history_folder(uri, "\0").parent  # the folder the per-spider folders are in
        return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.json"))) if root.is_dir() else []

    @staticmethod
    def compare(history: Any, first: str, second: str) -> int:
        """Print the metrics that differ between two runs; 0, or 2 when a run is unknown."""
        from broadsheet.monitoring.rules import metrics

        try:
            runs = [history.runs()[int(r)] if r.lstrip("-").isdigit() else history.get(r) for r in (first, second)]
        except (KeyError, IndexError) as exc:
            raise UsageError(f"--compare: {exc}", print_help=False) from exc
        a, b = (metrics(r) for r in runs)
        print(f"{'metric':<36} {runs[0]['run_id']:>26} {runs[1]['run_id']:>26}")
        differing = [m for m in [*a, *(m for m in b if m not in a)] if a.get(m) != b.get(m)]
        for metric in differing:
            print(f"{metric:<36} {_show(metric, a.get(metric)):>26} {_show(metric, b.get(metric)):>26}")
        if not differing:
            print("(no metric differs)")
        for run in runs:
            print(f"{run['run_id']}: {run.get('verdict')}, {run.get('finish_reason')}; report "
                  f"{history.report_path(run['run_id'])}")
        return 0
