"""Per-site politeness across all workers of a shared crawl: a site's concurrency and delay
limits hold for the workers together, not for each.

``CONCURRENT_REQUESTS_PER_DOMAIN`` becomes the number of tokens per site (host) in Redis, and
``DOWNLOAD_DELAY`` the least time between two requests to the site from any worker. A request
waits in this (innermost) downloader middleware until its site has a token and the delay has
passed, and gives the token back when its download ends. Tokens are leases on Redis's clock: a
worker that dies holding one frees it after ``DOWNLOAD_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from broadsheet.frontier.state import SharedCrawl

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

TOKEN_META = "frontier_site_token"

# KEYS: holders (sorted set token -> expiry ms), next-allowed key; ARGV: limit, delay ms, ttl ms, token.
# Returns 0 when the token is granted, else the milliseconds to wait before asking again.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 5 end
local next_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_at > now then return next_at - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[2], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 1000)
end
return 0
"""


class SharedPolitenessMiddleware:
    """Downloader middleware: one site's token per download, shared by all workers."""

    def __init__(self, crawl: SharedCrawl, concurrency: int, delay: float, ttl: float):
        self.crawl = crawl
        self.concurrency = max(concurrency, 1)
        self.delay_ms = int(delay * 1000)
        self.ttl_ms = int(ttl * 1000)
        self._acquire = crawl.client.register_script(ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        """Limits from ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY``."""
        settings = crawler.settings
        return cls(SharedCrawl.from_settings(settings, crawler.spidercls.name),
                   settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), settings.getfloat("DOWNLOAD_DELAY"),
                   settings.getfloat("DOWNLOAD_TIMEOUT") + 10)

    def _keys(self, request: Request) -> list[str]:
        site = urlsplit(request.url).netloc
        return [self.crawl.key("site", f"{site}:holders"), self.crawl.key("site", f"{site}:next")]

    async def process_request(self, request: Request) -> None:
        """Wait for the site's token."""
        token = uuid.uuid4().hex
        keys = self._keys(request)
        while wait_ms := int(self._acquire(keys=keys, args=[self.concurrency, self.delay_ms, self.ttl_ms, token])):
            await asyncio.sleep(wait_ms / 1000)
        request.meta[TOKEN_META] = token

    def _release(self, request: Request) -> None:
        token = request.meta.pop(TOKEN_META, None)
        if token:
            self.crawl.client.zrem(self._keys(request)[0], token)

    def process_response(self, request: Request, response: Response) -> Response:
        """Give the token back."""
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """Give the token back."""
        self._release(request)
