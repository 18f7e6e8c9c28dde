"""Per-site politeness across all workers of a shared crawl: a site's concurrency and delay
limits hold for the workers together, not for each.

``CONCURRENT_REQUESTS_PER_DOMAIN`` is the number of tokens per site (host and port) in Redis, and
``DOWNLOAD_DELAY`` the least time between two request starts to the site from any worker. The
shared scheduler leases a request only with one of its site's tokens; this (innermost)
downloader middleware gives the token back when the download ends, and takes one itself, waiting
if need be, for a request that did not come from the queue (robots.txt). Tokens are leases on
Redis's clock: a worker that dies holding one frees it after ``DOWNLOAD_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from broadsheet.frontier.scheduler import TOKEN_META, site_of
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

    async def process_request(self, request: Request) -> None:
        """A request the scheduler leased holds its token already; any other waits for one."""
        if TOKEN_META in request.meta:
            return
        site, token = site_of(request.url), uuid.uuid4().hex
        while wait := self.crawl.acquire(site, token):
            await asyncio.sleep(wait)
        request.meta[TOKEN_META] = (site, token)

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
