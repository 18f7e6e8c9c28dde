"""Discovery documents named by other documents: robots.txt ``Sitemap:`` lines, HTML feed links."""

from __future__ import annotations

from urllib.parse import urljoin

from lxml import etree
from protego import Protego

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")


def sitemaps_from_robots(body: bytes | str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in file order (Protego, the parser Scrapy uses)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return list(dict.fromkeys(Protego.parse(text).sitemaps))


def feed_links(root: etree._Element, base_url: str) -> list[str]:
    """Absolute URLs of the feeds a page announces with ``<link rel="alternate" type=...>``."""
    links = []
    for link in root.iterfind(".//link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES and link.get("href"):
            links.append(urljoin(base_url, link.get("href").strip()))
    return list(dict.fromkeys(links))
