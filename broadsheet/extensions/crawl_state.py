"""The crawl state's life in a crawl: opened first, saved last, removals reported downstream.

``CRAWL_STATE`` (a folder; ``%(name)s`` is the spider; empty, the default: no state, every crawl
is a full one) names where the state lives (``broadsheet/state/store.py``). This extension opens it
when the crawler is built, so a second concurrent crawl on the same folder fails at once, before
any request, with a message naming the folder and the holder; opening also settles a run that was
killed while publishing (kept if its outputs were published, undone if not).

Its order (``EXTENSIONS`` priority -500, before Scrapy's feed exporter at 0) matters: when the
spider closes it ``prepare``s the state (the run's changes, their before-images and the crawl's
outputs, ``broadsheet/state/publication.py``, committed together) BEFORE the feed exporter and the
dataset pipeline publish anything; when the engine has stopped, every output is published and it
``finish``es (or, the crawl having failed and published nothing, rolls the run back). A crawl with
no feed and no dataset saves nothing (its records would be marked exported while going nowhere).

Removals (stories whose page now answers with a removal notice or as gone) go to
``REMOVALS_URI`` (default: beside the first local feed, ``<feed>.removals.jsonl``), one JSON object
per line: ``site``, ``article_id``, ``language``, ``url``, ``record_key``, ``story``, ``revision``
(the last exported one, null if never exported), ``reason`` (``removed``, ``http_404``...),
``removed_at`` (the site's time) and ``previously_exported``. The file is written whole, after the
feeds and the dataset are published and only when they are (a run killed before it is written but
after they were has it written by the next run, from the prepared state).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import orjson
from scrapy import signals
from scrapy.exceptions import NotConfigured

from broadsheet.state.publication import outputs, write_removals
from broadsheet.state.run import for_crawler
from broadsheet.state.store import StateLocked, StateVersionError
from broadsheet.storage.commit import succeeded
from broadsheet.storage.files import side_file

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CrawlStateExtension:
    """Opens, commits and reports the crawl state of a crawl with ``CRAWL_STATE``."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.removals: dict[str, str] | None = None
        try:
            self.run = for_crawler(crawler)
        except (StateLocked, StateVersionError) as exc:
            logger.error("%(error)s", {"error": exc})
            raise

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStateExtension:
        """Enabled by a non-empty ``CRAWL_STATE``."""
        if not crawler.settings.get("CRAWL_STATE"):
            raise NotConfigured  # off by default: Scrapy logs only NotConfigured with a reason
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    @property
    def has_outputs(self) -> bool:
        """Whether the crawl's records go anywhere (a feed or a dataset)."""
        settings = self.crawler.settings
        return bool(settings.getdict("FEEDS") or settings.get("DATASET_URI"))

    def spider_closed(self, spider: Spider) -> None:
        """Count the state; prepare it (with the removals file to write) before any output is published."""
        stats = self.crawler.stats
        stats.set_value("broadsheet/state/records", self.run.state.count())
        stats.set_value("broadsheet/state/removed", self.run.state.count("removed"))
        path = side_file(self.crawler.settings, "REMOVALS_URI", spider.name, ".removals.jsonl")
        if path is not None:
            self.removals = {"path": str(path.absolute()),
                             "text": "".join(orjson.dumps(r).decode() + "\n" for r in self.run.removals)}
        if self.has_outputs:
            self.run.state.prepare({**outputs(self.crawler), "removals": self.removals})

    def engine_stopped(self) -> None:
        """Every output is published (or, the crawl failed, none): finish or roll back the state."""
        state = self.run.state
        if not self.has_outputs:
            logger.warning("CRAWL_STATE=%(dir)s not saved: the crawl has no feed (-O) or DATASET_URI, so its "
                           "records went nowhere", {"dir": state.directory})
            state.close()
        elif succeeded(self.crawler):
            write_removals(self.removals)
            state.finish()
            logger.info("Crawl state saved in %(dir)s", {"dir": state.directory})
        else:
            state.rollback()
            logger.warning("CRAWL_STATE=%(dir)s not saved: the crawl failed (%(reason)s) and published no "
                           "output; the next run does this run's work again",
                           {"dir": state.directory, "reason": self.crawler.stats.get_value("finish_reason")})
