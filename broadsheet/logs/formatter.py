"""Scrapy's log formatter without item reprs: a line names the page's URL, never the whole item.

Scrapy logs every scraped item (DEBUG), every dropped one (WARNING) and every item that failed
a pipeline (ERROR) with the item's repr: whole article bodies, many kilobytes a line. Here each
keeps its message and level and names the item by its ``url``.
"""

from __future__ import annotations

from typing import Any

from scrapy import logformatter


def _url(item: Any) -> str:
    try:
        return str(item.get("url") or "?")
    except AttributeError:
        return "?"


class ItemlessLogFormatter(logformatter.LogFormatter):
    """``LogFormatter`` whose item messages carry the item's URL instead of its repr."""

    def scraped(self, item: Any, response: Any, spider: Any) -> logformatter.LogFormatterResult:
        """Scraped: the source response and the item's URL."""
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
