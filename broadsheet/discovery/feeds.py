"""News feeds: RSS and Atom by feedparser, JSON Feed (1.0 and 1.1) by the ``json`` module.

``parse_feed(body, url)`` gives one announcement per item, in feed order, with the fields a feed
says about a story: headline, date_published, authors, keywords, description, language (the
item's, else the channel's), guid, and ``lastmod`` when the item carries its own update time.
"""

from __future__ import annotations

import json
from typing import Any

from broadsheet.discovery.announce import Announcement, clean, instant

JSON_FEED_VERSION = "https://jsonfeed.org/version/"


class FeedError(ValueError):
    """A document that is not a feed: names the URL and why."""


def _names(authors: list[dict[str, Any]] | None) -> list[str]:
    return [a["name"].strip() for a in authors or [] if isinstance(a, dict) and (a.get("name") or "").strip()]


def _json_feed(data: dict[str, Any]) -> list[Announcement]:
    language = data.get("language")
    feed_authors = _names(data.get("authors")) or _names([data["author"]] if data.get("author") else None)
    items = []
    for item in data.get("items") or []:
        url = item.get("url") or item.get("external_url")
        if not isinstance(item, dict) or not url:
            continue
        items.append(clean({
            "url": url, "sources": ["feed"], "guid": str(item.get("id") or "") or None,
            "headline": item.get("title"), "description": item.get("summary"),
            "date_published": instant(item.get("date_published")),
            "lastmod": instant(item.get("date_modified")),
            "authors": _names(item.get("authors")) or _names([item["author"]] if item.get("author") else None)
            or feed_authors,
            "keywords": [t for t in item.get("tags") or [] if isinstance(t, str)],
            "language": item.get("language") or language,
        }))
    return items


def parse_feed(body: bytes, url: str = "") -> list[Announcement]:
    """The feed's items as announcements; raises ``FeedError`` for a document that is no feed."""
    if body.lstrip()[:1] == b"{":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise FeedError(f"{url}: not JSON ({exc})") from exc
        if not str(data.get("version", "")).startswith(JSON_FEED_VERSION):
            raise FeedError(f"{url}: JSON without a JSON Feed version")
        return _json_feed(data)
    import feedparser  # only a crawl that reads an RSS or Atom feed pays its import (most crawls read none)

    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.version:
        raise FeedError(f"{url}: not an RSS or Atom feed ({parsed.get('bozo_exception') or 'unknown format'})")
    language = parsed.feed.get("language")
    items = []
    for entry in parsed.entries:
        if not entry.get("link"):
            continue
        items.append(clean({
            "url": entry.link, "sources": ["feed"], "guid": entry.get("id"),
            "headline": entry.get("title"), "description": entry.get("summary"),
            "date_published": instant(entry.get("published_parsed")),
            # dict.get: feedparser's own get() maps a missing "updated" to "published", with a warning
            "lastmod": instant(dict.get(entry, "updated_parsed"))
            if dict.get(entry, "updated") != dict.get(entry, "published") else None,
            "authors": _names(entry.get("authors")) or ([entry.author] if entry.get("author") else []),
            "keywords": [t.term for t in entry.get("tags") or [] if t.get("term")],
            "language": entry.get("language") or language,
        }))
    return items
