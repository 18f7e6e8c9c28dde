"""Sitemaps (sitemaps.org protocol, with the Google News and xhtml hreflang extensions), by lxml.

``parse_sitemap(body)`` reads a sitemap index or a urlset, gzipped or not, without resolving
entities or touching the network. A urlset entry keeps what Scrapy's own ``Sitemap`` drops: the
``<news:news>`` block (title, language, publication date, keywords, stock tickers) and the
``xhtml:link rel="alternate" hreflang`` links. A file lxml could read only by recovering from
errors (cut short, malformed) is parsed as far as it goes and marked ``complete=False``: what it
does not list says nothing about removals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from scrapy.utils.gz import gunzip

from broadsheet.discovery.announce import Announcement, clean, instant

NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
MAX_SIZE = 50 * 1024 * 1024  # the protocol's limit for one (uncompressed) sitemap file


class SitemapError(ValueError):
    """A document that is not a sitemap: names the URL and what was found instead."""


@dataclass
class Sitemap:
    """One parsed sitemap file: an index of other sitemaps or a set of page URLs."""

    kind: str  # "sitemapindex" or "urlset"
    sitemaps: list[tuple[str, str | None]] = field(default_factory=list)  # (loc, lastmod), newest first
    urls: list[Announcement] = field(default_factory=list)
    complete: bool = True  # read without errors: absence from it means something

    @property
    def is_news(self) -> bool:
        """Whether this is a news sitemap: a recent window of stories, not a complete list."""
        return any("news_sitemap" in entry["sources"] for entry in self.urls)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _lastmod(text: str | None) -> str | None:
    """``<lastmod>`` as an RFC 3339 UTC instant; a bare date (allowed by W3C) is kept as given."""
    return instant(text) or (text.strip() if text else None)


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _url_entry(element: etree._Element) -> Announcement | None:
    loc = _text(element, "{*}loc")
    if not loc:
        return None
    entry: Announcement = {"url": loc, "sources": ["sitemap"], "lastmod": _lastmod(_text(element, "{*}lastmod"))}
    alternates = {link.get("hreflang"): link.get("href") for link in element.iter(f"{XHTML}link")
                  if link.get("rel") == "alternate" and link.get("hreflang") and link.get("href")}
    entry["alternates"] = alternates
    news = element.find(f"{NEWS}news")
    if news is not None:
        entry.update(
            sources=["news_sitemap"],
            headline=_text(news, f"{NEWS}title"),
            language=_text(news, f"{NEWS}publication/{NEWS}language"),
            date_published=instant(_text(news, f"{NEWS}publication_date")),
            keywords=_split(_text(news, f"{NEWS}keywords")),
            tickers=_split(_text(news, f"{NEWS}stock_tickers")),
        )
    return clean(entry)


def parse_sitemap(body: bytes, url: str = "") -> Sitemap:
    """Parse a sitemap index or urlset; raises ``SitemapError`` for anything else."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_size=MAX_SIZE)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, remove_comments=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"{url}: not XML ({exc})") from exc
    complete = not parser.error_log.filter_from_errors()
    kind = _local(root.tag) if root is not None else ""
    if kind == "sitemapindex":
        entries = [(loc, _lastmod(_text(s, "{*}lastmod"))) for s in root.iter("{*}sitemap")
                   if (loc := _text(s, "{*}loc"))]
        # newest first; files without a lastmod first of all (nothing says they are old)
        entries.sort(key=lambda e: e[1] or "~", reverse=True)
        return Sitemap(kind, sitemaps=entries, complete=complete)
    if kind == "urlset":
        return Sitemap(kind, urls=[e for u in root.iter("{*}url") if (e := _url_entry(u))], complete=complete)
    raise SitemapError(f"{url}: not a sitemap (root element {kind or 'missing'!r})")
