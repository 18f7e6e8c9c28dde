"""Dated layout versions of a site: a redesign is a new version, not a union XPath.

fundus's ``VALID_UNTIL`` on Broadsheet's reference-time model, built into ``NewsSpider`` (every
site can declare them). A site spider lists its ``layouts`` oldest first; each is a ``Layout``
whose ``sources`` are the era's field sources, layered over the spider's own ``sources`` field by
field (``...`` in a layout's list stands for the spider's sources of that field, which stand on
the base's), and whose ``valid_until`` is the first day it no longer applies (the newest has
none). Each page is read with the first layout whose ``valid_until`` is after the page's
reference time (its ``Date`` header: the recording's time on replay, the server's on a live
crawl), so a recorded 2016 page is always read with the 2016 layout and today's pages with today's::

    class FazSpider(NewsSpider):
        sources = {"headline": [XPath("//h1"), ...]}          # every era

        class Atc(Layout):
            valid_until = dt.date(2024, 1, 1)
            sources = {"body": [Container('//div[@class="atc-Text"]')]}

        class Current(Layout):
            sources = {"body": [Container('//div[contains(@class, "body-elements")]')]}

        layouts = [Atc, Current]

Which layout read each page is counted in the stats (``broadsheet/layout/<name>``), so a site's
drift shows. Each layout's resolved sources are computed once per spider and kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

LAYOUT_STATS = "broadsheet/layout"
"""``broadsheet/layout/<name>``: how many pages each dated layout read."""


class Layout:
    """One era of a site's pages: its ``sources``, valid until ``valid_until`` (exclusive)."""

    valid_until: ClassVar[dt.date | None] = None
    sources: ClassVar[Mapping[str, Sequence[Any]]] = {}


class LayoutVersions:
    """The dated-layout part of ``NewsSpider``: which layout reads a page, and its sources."""

    layouts: ClassVar[list[type[Layout]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        until = [layout.valid_until for layout in cls.layouts]
        dated = [d for d in until if d is not None]
        if dated != sorted(dated) or None in until[:-1]:
            raise TypeError(f"{cls.__name__}.layouts: list them oldest first, each with a later valid_until, "
                            "and only the newest without one")

    @classmethod
    def layout_for(cls, served: dt.datetime) -> type[Layout] | None:
        """The first layout (oldest first) still valid at ``served``; None without layouts."""
        for layout in cls.layouts:
            if layout.valid_until is None or served.date() < layout.valid_until:
                return layout
        return cls.layouts[-1] if cls.layouts else None

    def sources_at(self, served: dt.datetime) -> dict[str, Sequence[Any]]:
        """The resolved field sources for a page served at ``served``: its layout's, once per spider."""
        layout = self.layout_for(served)
        crawler = getattr(self, "crawler", None)
        if layout is not None and crawler is not None:
            crawler.stats.inc_value(f"{LAYOUT_STATS}/{layout.__name__}")
        cache: dict[type[Layout] | None, dict[str, Sequence[Any]]] = self.__dict__.setdefault("_sources_at", {})
        if layout not in cache:
            cache[layout] = self.field_sources(layout)  # type: ignore[attr-defined]  # NewsSpider's
        return cache[layout]


def layered(own: dict[str, list[Any]], layer: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """``own`` with ``layer``'s fields over it: a ``...`` in a layer's list is ``own``'s sources of that
    field (the base's when ``own`` has none: ``[...]``)."""
    merged = dict(own)
    for name, sources in layer.items():
        merged[name] = [entry for source in sources for entry in (own.get(name, [...]) if source is ... else [source])]
    return merged
