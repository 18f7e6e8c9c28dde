"""``KillAt``: an extension a test adds to a real crawl so that the crawl SIGKILLs itself at one
point of its close (``KILL_AT``), the way an operator's ``kill -9`` or an OOM kill would:

- ``prepared``: the crawl state is prepared, no output is published yet (a ``spider_closed``
  handler ordered after the state's and before the feed exporter's);
- ``feeds_published``: every feed is renamed into place (``feed_exporter_closed``);
- ``published``: every output is published (``engine_stopped``, before the state's handler).
"""

from __future__ import annotations

import os
import signal

from scrapy import signals

SIGNALS = {"prepared": signals.spider_closed, "feeds_published": signals.feed_exporter_closed,
           "published": signals.engine_stopped}
PRIORITY = {"prepared": -400, "feeds_published": -400, "published": -600}
"""The ``EXTENSIONS`` priority each point needs (handlers run in the order extensions are built)."""


class KillAt:
    """SIGKILLs the crawl at ``KILL_AT``."""

    @classmethod
    def from_crawler(cls, crawler):
        """Connect the point's signal."""
        ext = cls()
        crawler.signals.connect(ext.kill, signal=SIGNALS[crawler.settings["KILL_AT"]])
        return ext

    def kill(self, *args, **kwargs) -> None:
        """No cleanup, no flush: the process ends here."""
        os.kill(os.getpid(), signal.SIGKILL)
