"""The crawl state's life in a crawl: opened first, saved last, removals reported downstream.

``CRAWL_STATE`` (a folder; ``%(name)s`` is the spider; empty, the default: no state, every crawl
is a full one) names where the state lives (``broadsheet/state/store.py``). This extension opens it
when the crawler is built, so a second concurrent crawl on the same folder fails at once, before
any request, with a message naming the folder and the holder. When the engine has stopped, i.e.
after every feed and dataset file is published, it commits the run's single transaction; a crawl
killed before that leaves the state as the previous run left it. A crawl with no feed and no
dataset commits nothing (its records would be marked exported while going nowhere).

Removals (stories whose page now answers with a removal notice or as gone) go to
``REMOVALS_URI`` (default: beside the first local feed, ``<feed>.removals.jsonl``), one JSON object
per line: ``site``, ``article_id``, ``language``, ``url``, ``record_key``, ``story``, ``revision``
(the last exported one, null if never exported), ``reason`` (``removed``, ``http_404``...),
``removed_at`` (the site's time) and ``previously_exported``. The file is written whole at close.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import orjson
from scrapy import signals
from scrapy.exceptions import NotConfigured

from broadsheet.state.run import for_crawler
from broadsheet.state.store import StateLocked
from broadsheet.storage.files import side_file, write_text_atomically

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CrawlStateExtension:
    """Opens, commits and reports the crawl state of a crawl with ``CRAWL_STATE``."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        try:
            self.run = for_crawler(crawler)
        except StateLocked as exc:
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

    def spider_closed(self, spider: Spider) -> None:
        """Write the removals file; count the state."""
        path = side_file(self.crawler.settings, "REMOVALS_URI", spider.name, ".removals.jsonl")
        if path is not None:
            write_text_atomically(path, "".join(orjson.dumps(r).decode() + "\n" for r in self.run.removals))
        stats = self.crawler.stats
        stats.set_value("broadsheet/state/records", self.run.state.count())
        stats.set_value("broadsheet/state/removed", self.run.state.count("removed"))

    def engine_stopped(self) -> None:
        """Every output is published: make the run's state durable."""
        settings = self.crawler.settings
        if not settings.getdict("FEEDS") and not settings.get("DATASET_URI"):
            logger.warning("CRAWL_STATE=%(dir)s not saved: the crawl has no feed (-O) or DATASET_URI, so its "
                           "records went nowhere", {"dir": self.run.state.directory})
            self.run.state.close()
            return
        self.run.state.commit()
        logger.info("Crawl state saved in %(dir)s", {"dir": self.run.state.directory})
