"""Scrapy's log formatter without item reprs: a line names the page's URL, never the whole item.

Scrapy logs every scraped item (DEBUG), every dropped one (WARNING) and every item that failed
a pipeline (ERROR) with the item's repr: whole article bodies, many kilobytes a line. Here each
keeps its message and level and names the item by its ``url``. The per-item "Scraped from" line
(DEBUG) is not even built when no handler would write it (``LOG_LEVEL`` above DEBUG, the default
INFO): a crawl does not pay for a log record per item that is thrown away.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter

SCRAPER_LOGGER = logging.getLogger("scrapy.core.scraper")  # the logger Scrapy writes these lines to


def _url(item: Any) -> str:
    try:
        return str(item.get("url") or "?")
    except AttributeError:
        return "?"


def writes_debug(logger: logging.Logger) -> bool:
    """Whether a DEBUG record of ``logger`` would reach a handler that writes it (the logger's own
    handlers or those it propagates to, Scrapy's root handler at ``LOG_LEVEL`` among them)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return False
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= logging.DEBUG for handler in current.handlers):
            return True
        current = current.parent if current.propagate else None
    return False


class ItemlessLogFormatter(logformatter.LogFormatter):
    """``LogFormatter`` whose item messages carry the item's URL instead of its repr."""

    def scraped(self, item: Any, response: Any, spider: Any) -> logformatter.LogFormatterResult | None:
        """Scraped: the source response and the item's URL; None (no line) when DEBUG is not written."""
        if not writes_debug(SCRAPER_LOGGER):
            return None
        result = super().scraped(item, response, spider)
        return {**result, "msg": "Scraped from %(src)s: %(url)s", "args": {**result["args"], "url": _url(item)}}

    def dropped(self, item: Any, exception: BaseException, response: Any,
                spider: Any) -> logformatter.LogFormatterResult:
        """Dropped: why, without the item."""
        result = super().dropped(item, exception, response, spider)
        return {**result, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}

    def item_error(self, item: Any, exception: BaseException, response: Any,
                   spider: Any) -> logformatter.LogFormatterResult:
        """A pipeline error: the item's URL (the traceback follows)."""
        result = super().item_error(item, exception, response, spider)
        return {**result, "msg": "Error processing %(url)s", "args": {"url": _url(item)}}
