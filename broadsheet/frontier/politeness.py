"""Per-site politeness across all workers of a shared crawl: a site's concurrency and delay
limits hold for the workers together, not for each.

``CONCURRENT_REQUESTS_PER_DOMAIN`` is the number of tokens per site (host and port) in Redis, and
``DOWNLOAD_DELAY`` the least time between two request starts to the site from any worker. The
shared scheduler leases a request only with one of its site's tokens; this (innermost)
downloader middleware gives the token back when the download ends. A dead worker's tokens are
freed when its requests are recovered, or at the latest after ``DOWNLOAD_TIMEOUT``. Requests that
do not come from the queue (robots.txt: one per worker and site) take no token: waiting for one
while leased requests wait for robots.txt would deadlock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from broadsheet.frontier.scheduler import TOKEN_META
from broadsheet.frontier.state import SharedCrawl

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class SharedPolitenessMiddleware:
    """Downloader middleware: one site token per download, shared by all workers."""

    def __init__(self, crawl: SharedCrawl):
        self.crawl = crawl

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        """The shared crawl's limits (``CONCURRENT_REQUESTS_PER_DOMAIN``, ``DOWNLOAD_DELAY``)."""
        return cls(SharedCrawl.from_settings(crawler.settings, crawler.spidercls.name))

    def _give_back(self, request: Request) -> None:
        held = request.meta.pop(TOKEN_META, None)
        if held:
            self.crawl.give_back(*held)

    def process_response(self, request: Request, response: Response) -> Response:
        """Give the token back."""
        self._give_back(request)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """Give the token back."""
        self._give_back(request)
