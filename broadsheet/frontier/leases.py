"""When a leased request is finished: its callback's (or errback's) output ended, or its
download failed for good. A finished request moves from the worker's ``active`` hash to
``done``; it leaves Redis when the worker's results are committed (``SharedScheduler``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from broadsheet.frontier.scheduler import LEASE_META
from broadsheet.frontier.state import SharedCrawl

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class _Leases:
    def __init__(self, crawler: Crawler, crawl: SharedCrawl):
        self.crawler = crawler
        self.crawl = crawl

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        """The shared crawl of ``REDIS_URL`` and ``CRAWL_ID``."""
        return cls(crawler, SharedCrawl.from_settings(crawler.settings, crawler.spidercls.name))

    def finish(self, request: Request) -> None:
        lease = request.meta.pop(LEASE_META, None)
        if lease:
            self.crawl.finish(lease)


class FinishLeasesSpiderMiddleware(_Leases):
    """Finishes a response's lease once everything its callback or errback yielded has gone on."""

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        """Pass the output through; finish the lease when it ends (or raises)."""
        try:
            yield from result
        finally:
            self.finish(response.request)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The same for an asynchronous callback."""
        try:
            async for output in result:
                yield output
        finally:
            self.finish(response.request)


class FinishLeasesDownloaderMiddleware(_Leases):
    """Finishes the lease of a request whose download failed and was not retried."""

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """The errback that follows only accounts for the failure. A download cut short because
        the crawl is stopping is not finished: its lease goes back to the queue."""
        if self.crawler.crawling:
            self.finish(request)
