"""Dated layout versions of a site: a redesign is a new version, not a union XPath.

fundus's ``VALID_UNTIL`` on Broadsheet's reference-time model. A site spider lists its layouts
oldest first; each is a class whose attributes are the spider attributes that era needs
(its ``sources``, ...) and whose ``valid_until`` is the first day it no longer
applies (the newest has none). For each page the spider uses the first layout whose
``valid_until`` is after the page's reference time (its ``Date`` header: the recording's time on
replay, the server's on a live crawl), so a recorded 2016 page is always read with the 2016
layout and today's pages with today's::

    class Faz(LayoutVersions, NewsSpider):
        class Y2023(Layout):
            valid_until = dt.date(2024, 1, 1)
            sources = {"body": [Container('//div[@class="atc-Text"]')]}

        class Current(Layout):
            sources = {"body": [Container('//div[contains(@class, "body-elements")]')]}

        layouts = [Y2023, Current]

Attributes a layout does not set are the spider's own. Which layout read each page is counted
in the stats (``broadsheet/layout/<name>``), so a site's drift shows. The mechanism wraps
``extract_article`` and drops the base's per-spider cache of resolved sources (``_field_sources``)
while a layout is in use; it belongs in the base and can move there as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from scrapy.http import Response


class Layout:
    """One era of a site's pages: spider attributes that hold until ``valid_until`` (exclusive)."""

    valid_until: ClassVar[dt.date | None] = None

    @classmethod
    def settings(cls) -> dict[str, Any]:
        """The spider attributes this layout sets (its own class attributes, inherited ones too)."""
        names = {name for klass in cls.__mro__[:-1] for name in vars(klass)
                 if not name.startswith("_") and name not in ("valid_until", "settings")}
        return {name: getattr(cls, name) for name in sorted(names)}


class LayoutVersions:
    """Mixin for a ``NewsSpider``: read each page with the layout of its reference time."""

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

    @contextmanager
    def using(self, layout: type[Layout] | None) -> Iterator[None]:
        """The layout's attributes set on this spider for the duration of one page."""
        settings = layout.settings() if layout else {}
        for name, value in settings.items():
            setattr(self, name, value)
        self.__dict__.pop("_field_sources", None)  # the base resolves ``sources`` once per spider
        try:
            yield
        finally:
            for name in settings:
                delattr(self, name)
            self.__dict__.pop("_field_sources", None)

    def extract_article(self, response: Response) -> Any:
        """The base's extraction, with the layout of the page's reference time."""
        layout = self.layout_for(self.reference_time(response))  # type: ignore[attr-defined]
        if layout is not None:
            self.crawler.stats.inc_value(f"broadsheet/layout/{layout.__name__}")  # type: ignore[attr-defined]
        with self.using(layout):
            return super().extract_article(response)  # type: ignore[misc]
