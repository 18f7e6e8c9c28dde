"""``article``: any news page, read by the generic base alone (no site code).

    scrapy crawl article -a urls=U1,U2 -O out.jsonl
    scrapy crawl article -a urls_file=urls.txt -s VCR_CASSETTE=pages.yaml -O out.jsonl

``site`` is the publisher's registered domain (tldextract with its bundled public-suffix
snapshot, offline): ``www.bbc.co.uk`` -> ``bbc_co_uk``. A page that is not an article (a home
page, a listing, a video page) is skipped with that reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from broadsheet.extract.pagetype import not_article_reason
from broadsheet.news import NewsSpider


class ArticleSpider(NewsSpider):
    """Exactly the pages given with ``-a urls`` (comma-separated) or ``-a urls_file`` (one URL a line)."""

    name = "article"
    site = "article"
    custom_settings = {"FIELD_COVERAGE_MIN": {"headline": 0.5, "body": 0.5}, "CONCURRENT_ITEMS": 1,
                       "EXTRACTION_WORKERS": "auto"}
    """``CONCURRENT_ITEMS``: a page gives one record at most, and Scrapy starts that many asyncio workers for every
    response's output whatever it holds (its default 100: 0.3 s of CPU over an 870-page crawl).
    ``EXTRACTION_WORKERS``: any page costs the generic base several times what the crawl's process spends on it
    (26 ms a corpus page), so pages are read on every core (``-s EXTRACTION_WORKERS=0`` reads them in the crawl's
    process): the 871-page corpus crawl in 25.8 s instead of 34.6 on 2 cores."""

    def __init__(self, *args: Any, urls_file: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if urls_file:
            path = Path(urls_file)
            if not path.is_file():
                raise ValueError(f"-a urls_file={urls_file}: no such file; give a text file with one URL a line")
            lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
            self.article_urls += [line for line in lines if line and not line.startswith("#")]
        if not self.article_urls:
            raise ValueError("the article spider needs pages: -a urls=U1,U2 or -a urls_file=FILE")

    def site_of(self, response: Response) -> str:
        """The publisher's registered domain as a site name (``bbc_co_uk``)."""
        return site_name(response.url)

    def not_article_reason(self, response: Response) -> str | None:
        """Not HTML, or not an article by what the page says of itself."""
        return super().not_article_reason(response) or not_article_reason(response)


def site_name(url: str) -> str:
    """``https://www.bbc.co.uk/news/x`` -> ``bbc_co_uk`` (registered domain, offline public-suffix snapshot)."""
    parts = _EXTRACT(url)
    domain = parts.top_domain_under_public_suffix if parts.suffix else urlsplit(url).hostname
    return re.sub(r"[^a-z0-9]+", "_", (domain or "unknown").lower()).strip("_") or "unknown"


def _extractor() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


_EXTRACT = _extractor()
"""The public-suffix snapshot tldextract bundles: never fetched."""
