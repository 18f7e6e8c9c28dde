"""Per-field XPaths a layout can name, until the base reads fields from ordered sources.

An interim stand-in for issue 11's field-level sources (``broadsheet/news`` is being rewritten
into them): what real publishers needed that the ``NewsSpider`` base does not yet do, declared,
never coded per site. Remove each part when the base has it.

- ``field_xpaths``: ``{field: xpath}`` read before structured data (the base's page-state slot):
  ``authors`` split as bylines, ``date_published``/``date_modified`` parsed as instants, text
  fields cleaned. One XPath per field and layout; an era with other markup is another layout.
- ``field_xpaths["publication_date"]``: a page's ``YYYY-MM-DD`` day when it gives no instant.
- ``url_date``: a regex with groups ``y``, ``m``, ``d`` for URLs that carry the day in any shape
  (``/2016/12/20/``, ``2016-12-06``, ``/2019/nov/18/``): the publication day when the page
  states no instant (the base reads only an 8-digit ``yyyymmdd`` group).
- ``body_xpath`` may select several containers (standfirst, then text): all are kept, in
  document order (the base keeps the first only).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from scrapy.http import Response

from broadsheet.news.xpath import nodes
from broadsheet.normalize.authors import normalize_authors
from broadsheet.normalize.dates import parse_instant
from broadsheet.normalize.text import clean_or_none, html_blocks, join_blocks

MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def _value(root: Any, xpath: str) -> str | None:
    """The first non-empty string an XPath gives: an attribute, a text node, or an element's text."""
    for found in nodes(root, xpath):
        value = found if isinstance(found, str) else "".join(found.itertext())
        value = clean_or_none(str(value))
        if value:
            return value
    return None


def day_from_url(url: str, pattern: re.Pattern[str] | None) -> dt.date | None:
    """The day ``pattern``'s ``y``/``m``/``d`` groups find in ``url`` (a month number or name)."""
    match = pattern.search(url) if pattern else None
    if not match:
        return None
    month = match.group("m")
    month_number = int(month) if month.isdigit() else MONTHS.get(month[:3].lower())
    try:
        return dt.date(int(match.group("y")), month_number or 0, int(match.group("d")))
    except ValueError:
        return None


class FieldXPaths:
    """Mixin for a ``NewsSpider``: ``field_xpaths``, ``url_date`` and multi-container bodies."""

    field_xpaths: ClassVar[dict[str, str]] = {}
    url_date: ClassVar[re.Pattern[str] | None] = None

    def page_state(self, response: Response) -> dict[str, Any]:
        """The fields ``field_xpaths`` name, normalised as the base normalises them."""
        state = dict(super().page_state(response))  # type: ignore[misc]
        root = response.selector.root
        for field, xpath in self.field_xpaths.items():
            if field == "authors":
                found = nodes(root, xpath)
                state[field] = normalize_authors([n if isinstance(n, str) else _value(n, ".") for n in found])
            elif field == "publication_date":
                state[field] = _value(root, xpath)
            elif field in ("date_published", "date_modified"):
                state[field] = parse_instant(_value(root, xpath))
            else:
                state[field] = _value(root, xpath)
        return state

    def extract_article(self, response: Response) -> Any:
        """The base's article, its publication day taken from the URL when the page gives none."""
        article = super().extract_article(response)  # type: ignore[misc]
        if article.publication_date is None:
            day = self.page_state(response).get("publication_date") if "publication_date" in self.field_xpaths else None
            article.publication_date = (dt.date.fromisoformat(day[:10]) if day and re.match(r"\d{4}-\d\d-\d\d", day)
                                        else day_from_url(response.url, self.url_date))
        return article

    def extract_body(self, response: Response) -> str | None:
        """Every container ``body_xpath`` selects, in document order, without the excluded parts."""
        roots = nodes(response.selector.root, self.body_xpath)  # type: ignore[attr-defined]
        exclude = self.body_exclude_xpath  # type: ignore[attr-defined]
        blocks: list[str] = []
        for root in roots:
            excluded = set(nodes(root, exclude)) if exclude else set()
            blocks.extend(html_blocks(root, excluded.__contains__ if excluded else None))
        return join_blocks(blocks) or None
