"""``scrapy crawl`` with exit codes a scheduler can act on.

- 0: the crawl ran and succeeded;
- 1: the crawl ran and failed: a quality gate closed it with a ``failed_*`` reason, it was
  interrupted (Ctrl-C, SIGTERM: ``shutdown``, nothing committed; a ``JOBDIR`` job resumes with
  the same command), or it could not start for a reason that is not the user's input (a bug:
  its traceback is logged);
- 2: bad input: an unknown spider, or a setting, spider argument, cassette or schema that the
  preflight (``broadsheet/extensions/preflight.py``) or the spider refused. One line on stderr
  names it and says what to do; no traceback, no request made, no output touched.

Scrapy's own command exits 0 whatever the close reason, and ends a failed bootstrap with a
second error (``Crawler.stats is not set yet``) that hides the first.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from broadsheet.errors import BadInput
from broadsheet.storage.commit import INTERRUPTED  # Ctrl-C, SIGTERM: nothing committed

FAILURE_PREFIX = "failed_"
SUCCESS, FAILED, BAD_INPUT = 0, 1, 2

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    """Run a spider; exit 0 on success, 1 when the crawl failed, 2 on bad input."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Crawl, then turn how it ended into the exit code."""
        if len(args) != 1:
            raise UsageError("expected exactly one spider name: scrapy crawl SPIDER")
        assert self.crawler_process
        from broadsheet.extensions.preflight import check_components
        from broadsheet.storage.atomic import check_feeds

        try:
            check_feeds(self.settings)
            check_components(self.settings)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from exc
        try:
            crawler = self._create_crawler(args[0])
        except KeyError as exc:
            raise UsageError(f"no spider named {args[0]!r}; `scrapy list` shows the project's spiders",
                             print_help=False) from exc
        # The run history compares a crawl with earlier crawls of the same spider arguments.
        crawler.settings.set("HISTORY_JOB_ARGS", dict(opts.spargs), priority="cmdline")
        errors: list[BaseException] = []
        watch(self.crawler_process.crawl(crawler, **opts.spargs), errors)
        self.crawler_process.start()
        self.exitcode = exit_code(crawler, errors, args[0])


def watch(started: Any, errors: list[BaseException]) -> None:
    """Collect the exception a crawl failed to start with (from Scrapy's asyncio task or its
    Deferred), so that it is reported once, by ``exit_code``, and never as "never retrieved"."""
    if isinstance(started, Deferred):
        started.addErrback(lambda failure: errors.append(failure.value))
    elif isinstance(started, asyncio.Future):
        started.add_done_callback(lambda task: task.cancelled() or not task.exception()
                                  or errors.append(task.exception()))


def exit_code(crawler: Any, errors: list[BaseException], spider: str) -> int:
    """0, 1 or 2 for a finished crawl (see the module docstring); reports a start failure."""
    for error in errors:
        if isinstance(error, BadInput):
            print(f"scrapy crawl {spider}: {error}", file=sys.stderr)
            return BAD_INPUT
        logger.error("The crawl could not start", exc_info=Failure(error).value)
        return FAILED
    stats = getattr(crawler, "_stats", None)  # unset when the crawl never started
    reason = str(stats.get_value("finish_reason") or "") if stats else ""
    if stats is None or reason.startswith(FAILURE_PREFIX) or reason == INTERRUPTED:
        return FAILED
    return SUCCESS
