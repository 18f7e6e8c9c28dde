"""Scrapy's offsite filter, accounting for every request it filters as a skipped page.

Scrapy's ``OffsiteMiddleware`` drops an offsite request when it is scheduled (``-a urls`` of
another site, a redirect to another site) by raising ``IgnoreRequest`` from a signal handler: the
engine then forgets the request, with no errback and no log line above DEBUG. This subclass
records the page as ``skipped/offsite`` first. It replaces Scrapy's in ``DOWNLOADER_MIDDLEWARES``.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest

from broadsheet.extensions.outcomes import SKIPPED, PageOutcomes


class AccountedOffsiteMiddleware(OffsiteMiddleware):
    """``OffsiteMiddleware`` whose filtered requests end as ``skipped/offsite``."""

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        """Scrapy's check; a filtered request is accounted for before it is dropped."""
        try:
            super().process_request(request)
        except IgnoreRequest as exc:
            PageOutcomes.of(self.crawler).record(request, SKIPPED, "offsite", str(exc))
            raise
