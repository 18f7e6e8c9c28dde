"""``KillAt``: an extension a test adds to a real crawl so that the crawl signals itself at one
point (``KILL_AT``), the way an operator's ``kill -9`` or Ctrl-C, or an OOM kill, would:

- ``item:N``: the N-th item is scraped (through every pipeline and into its feeds), requests
  still to come: mid-crawl, at a point the test knows instead of a moment a slowed-down crawl
  happens to be in;
- ``response:URL``: the response for URL is downloaded (before its callback runs), e.g. a
  listing while the other discovery documents are still to be read;
- ``workers:URL``: the response for URL is downloaded, before the downloader middlewares see it:
  the signal goes to the crawl's child processes (its extraction workers), not to the crawl;
- ``prepared``: the crawl state is prepared, no output is published yet (a ``spider_closed``
  handler ordered after the state's and before the feed exporter's);
- ``feeds_published``: every feed is renamed into place (``feed_exporter_closed``);
- ``published``: every output is published (``engine_stopped``, before the state's handler).

``KILL_SIGNAL`` is ``SIGKILL`` (the default: no cleanup, no flush), ``SIGINT`` (Scrapy's
graceful shutdown, as from Ctrl-C) or ``SIGTERM`` (the same, as from ``timeout`` or an init
system). ``kill_args`` gives the ``scrapy crawl`` arguments.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from scrapy import signals

SIGNALS = {"prepared": signals.spider_closed, "feeds_published": signals.feed_exporter_closed,
           "published": signals.engine_stopped}
PRIORITY = {"prepared": -400, "feeds_published": -400, "published": -600}
"""The ``EXTENSIONS`` priority each point needs (handlers run in the order extensions are built)."""
AFTER_FEEDS = 100
"""``item:N``'s priority: built after Scrapy's FeedExporter (0), so the item is in the feeds first."""


class KillAt:
    """Sends itself ``KILL_SIGNAL`` at ``KILL_AT``."""

    def __init__(self, signum: int, items: int = 0, url: str = ""):
        self.signum = signum
        self.items = items  # item:N: the count to reach; 0 for the other points
        self.url = url  # response:URL

    @classmethod
    def from_crawler(cls, crawler):
        """Connect the point's signal."""
        point = crawler.settings["KILL_AT"]
        signum = signal.Signals[crawler.settings.get("KILL_SIGNAL", "SIGKILL")]
        if point.startswith("item:"):
            ext = cls(signum, int(point.removeprefix("item:")))
            crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        elif point.startswith("workers:"):
            ext = cls(signum, url=point.removeprefix("workers:"))
            crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        elif point.startswith("response:"):
            ext = cls(signum, url=point.removeprefix("response:"))
            crawler.signals.connect(ext.response_received, signal=signals.response_received)
        else:
            ext = cls(signum)
            crawler.signals.connect(ext.kill, signal=SIGNALS[point])
        return ext

    def item_scraped(self, *args, **kwargs) -> None:
        """Count the item; at the N-th, the signal (once: a graceful shutdown scrapes on)."""
        self.items -= 1
        if self.items == 0:
            self.kill()

    def response_received(self, response, request, spider) -> None:
        """At the response for the point's URL, the signal."""
        if response.url == self.url:
            self.kill()

    def response_downloaded(self, response, request, spider) -> None:
        """At the response for the point's URL, the signal to every child process (once)."""
        if response.url == self.url:
            self.url = ""
            for pid in children(os.getpid()):
                os.kill(pid, self.signum)

    def kill(self, *args, **kwargs) -> None:
        """SIGKILL: the process ends here; SIGINT: Scrapy's handler stops the crawl."""
        os.kill(os.getpid(), self.signum)


def children(parent: int) -> list[int]:
    """The pids of ``parent``'s child processes (from each process's ``/proc/<pid>/stat``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == parent:  # the field after the state: the parent's pid
            found.append(int(stat.parent.name))
    return found


def kill_args(point: str, signum: str = "SIGKILL") -> list[str]:
    """``scrapy crawl`` arguments adding ``KillAt`` at ``point`` to the project's extensions."""
    from broadsheet import settings

    extensions = {**settings.EXTENSIONS, "tests.helpers.killpoint.KillAt": PRIORITY.get(point, AFTER_FEEDS)}
    return ["-s", f"EXTENSIONS={json.dumps(extensions)}", "-s", f"KILL_AT={point}", "-s", f"KILL_SIGNAL={signum}"]
