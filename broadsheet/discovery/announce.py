"""Announcements: what one source says about one story URL, and their merge across sources."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from broadsheet.normalize.dates import parse_instant, to_rfc3339_utc

Announcement = dict[str, Any]
"""See ``broadsheet.discovery``: field-named keys plus ``sources``, ``lastmod``, ``guid``, ``alternates``."""

_LISTS = ("authors", "keywords", "tickers", "sources")


def instant(value: str | time.struct_time | None) -> str | None:
    """An RFC 3339 UTC instant from W3C/RFC 3339 text or a UTC ``struct_time`` (feedparser's)."""
    if value is None:
        return None
    if isinstance(value, time.struct_time):
        return to_rfc3339_utc(dt.datetime(*value[:6], tzinfo=dt.UTC))
    return parse_instant(value.strip())


def clean(announcement: Announcement) -> Announcement:
    """The announcement without empty values (a source that does not say a thing says nothing)."""
    return {key: value for key, value in announcement.items() if value not in (None, "", [], {})}


def merge(into: Announcement, other: Announcement) -> Announcement:
    """Merge ``other`` into ``into``: lists are united in order, other keys keep the first value
    given, except ``lastmod``, which keeps the newest (the freshest change signal wins)."""
    for key, value in clean(other).items():
        if key in _LISTS:
            into[key] = list(dict.fromkeys([*into.get(key, []), *value]))
        elif key == "alternates":
            into[key] = {**value, **into.get(key, {})}
        elif key == "lastmod":
            into[key] = max(into.get(key) or value, value)
        else:
            into.setdefault(key, value)
    into["sources"] = sorted(into.get("sources", []))
    return into
