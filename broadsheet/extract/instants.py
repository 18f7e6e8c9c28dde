"""Instants a page states only in its visible text: "Tue Dec 30, 2014 11:44pm GMT".

A tiny, generic normaliser for the date lines of older pages that carry no structured date:
an English month name with the day and year, a clock time (``11:44pm``, ``23:44``) and a zone
(an abbreviation of a fixed offset, or ``+01:00``). Without a zone it reads nothing: a time with
no offset is not an instant.
"""

from __future__ import annotations

import datetime as dt
import re

from broadsheet.extract.page import Page
from broadsheet.normalize.dates import ZONE_MINUTES, Moment

ZONES = {**{name.lower(): minutes for name, minutes in ZONE_MINUTES.items()}, "z": 0}
"""Zone abbreviations with one meaning across news sites: minutes from UTC."""
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(?:" + "|".join(_MONTHS) + r")[a-z]*\.?"
_INSTANT = re.compile(
    r"(?:(?P<mon1>" + _MONTH + r")\s+(?P<d1>\d{1,2}),?|(?P<d2>\d{1,2})\.?\s+(?P<mon2>" + _MONTH + r"),?)"
    r"\s+(?P<y>(?:19|20)\d{2}),?\s*(?:at\s+|[-|\u2013\u2022]\s*)?"
    r"(?P<H>\d{1,2})[:.](?P<M>\d\d)\s*(?:(?P<ap>[ap])\.?m\.?)?\s*(?P<z>[a-z]{1,4}\b|[+-]\d\d:?\d\d)",
    re.IGNORECASE,
)


def instant_in_text(text: str) -> Moment | None:
    """The first instant ``text`` spells with a zone, in the page's own offset; None otherwise."""
    for match in _INSTANT.finditer(text):
        zone = match["z"].lower()
        minutes = ZONES.get(zone) if zone[0].isalpha() else (
            (-1 if zone[0] == "-" else 1) * (int(zone[1:3]) * 60 + int(zone[-2:])))
        hour = int(match["H"])
        if match["ap"]:
            hour = hour % 12 + (12 if match["ap"].lower() == "p" else 0)
        month = _MONTHS.index((match["mon1"] or match["mon2"])[:3].lower()) + 1
        if minutes is None or hour > 23:
            continue
        try:
            moment = dt.datetime(int(match["y"]), month, int(match["d1"] or match["d2"]), hour, int(match["M"]),
                                 tzinfo=dt.timezone(dt.timedelta(minutes=minutes)))
        except ValueError:
            continue
        return Moment(moment.isoformat().replace("+00:00", "Z"), moment.date())
    return None


def visible_instant(page: Page) -> Moment | None:
    """The first instant among the page's short visible texts (its date line), or None."""
    for text in page.short_texts:
        found = instant_in_text(" ".join(text.split()))
        if found:
            return found
    return None
