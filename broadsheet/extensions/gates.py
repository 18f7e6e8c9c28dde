"""Quality gates judge a crawl when it is really finishing, not at an idle moment between phases.

A gate (invalid share, field coverage, failure share, drift) closes the spider with a ``failed_*``
reason from ``spider_idle``, the last moment the close reason can still be set. A spider may go
idle and then add work from its own idle handler (discovery plans its article pages then), so a
gate's handler is connected when the spider opens, after the spider's own handlers, and skips
while the spider says it has ``more_to_do()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler


def connect_gate(crawler: Crawler, judge: Callable[[Spider], Any]) -> None:
    """Call ``judge(spider)`` on every ``spider_idle`` at which the spider has nothing more to do."""

    def on_idle(spider: Spider) -> None:
        more_to_do = getattr(spider, "more_to_do", None)
        if more_to_do is None or not more_to_do():
            judge(spider)

    def on_opened(spider: Spider) -> None:
        crawler.signals.connect(on_idle, signal=signals.spider_idle, weak=False)

    crawler.signals.connect(on_opened, signal=signals.spider_opened, weak=False)
