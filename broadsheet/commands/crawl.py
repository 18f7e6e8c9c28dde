"""``scrapy crawl``, exiting 1 when the crawl finished with a ``failed_*`` close reason.

Scrapy's own command exits 0 whatever the close reason. Broadsheet's quality gates (the share
of invalid items, field coverage) close the spider with a reason starting ``failed_``, and CI
must see that as a failure.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

FAILURE_PREFIX = "failed_"


class Command(ScrapyCrawlCommand):
    """Run a spider; exit 1 on a bootstrap failure or a ``failed_*`` close reason."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Crawl, then turn the finish reason into the exit code."""
        if len(args) != 1:
            raise UsageError("expected exactly one spider name: scrapy crawl SPIDER")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        # The run history compares a crawl with earlier crawls of the same spider arguments.
        crawler.settings.set("HISTORY_JOB_ARGS", dict(opts.spargs), priority="cmdline")
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if self.crawler_process.bootstrap_failed or (reason or "").startswith(FAILURE_PREFIX):
            self.exitcode = 1
