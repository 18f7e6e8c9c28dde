"""Per-site politeness across all workers of a shared crawl: a site's concurrency and delay
limits hold for the workers together, not for each.

``CONCURRENT_REQUESTS_PER_DOMAIN`` is the number of tokens per site (host and port) in Redis, and
``DOWNLOAD_DELAY`` the least time between two request starts to the site from any worker (the
add-on moves it to ``FRONTIER_DOWNLOAD_DELAY``: a worker's own slot waits none). The
shared scheduler leases a request only with one of its site's tokens; this (innermost)
downloader middleware gives the token back when the download ends. A dead worker's tokens are
freed when its requests are recovered, or at the latest after ``DOWNLOAD_TIMEOUT``.

robots.txt is fetched inside a token: Scrapy's robots middleware asks for it while processing the
first leased request to a site, which holds a token and waits (without downloading) until
robots.txt is in, so each robots.txt download in flight stands for a token holder of its site
that is not downloading, and the site never sees more than its limit (measured:
``bench_scaleout.py --robots``). Giving robots.txt a token of its own would deadlock: all of a
site's tokens may be held by requests that wait for that robots.txt. It is fetched once per
worker and site (Scrapy's robots middleware caches it per crawler).
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
        """The shared crawl's limits (``CONCURRENT_REQUESTS_PER_DOMAIN``, ``FRONTIER_DOWNLOAD_DELAY``)."""
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
