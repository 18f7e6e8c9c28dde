"""Instants a page states only in its visible text: "Tue Dec 30, 2014 11:44pm GMT".

A tiny, generic normaliser for the date lines of older pages that carry no structured date:
an English month name with the day and year, a clock time (``11:44pm``, ``23:44``) and a zone
(an abbreviation of a fixed offset, or ``+01:00``). Without a zone it reads nothing: a time with
no offset is not an instant.

Such a time does tell the page's own offset, though, beside a UTC instant of the same moment:
``in_page_offset`` writes "2016-12-23T00:47:31Z" as "2016-12-22T18:47:31-06:00" on a page whose
date meta also reads "Thursday, December 22, 2016, 06:47 PM", so its day is the publisher's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from broadsheet.extract.dates import declared_language
from broadsheet.extract.page import Page
from broadsheet.normalize.dates import ZONE_MINUTES, Moment, day_in_text, parse_moment

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


_CLOCK = re.compile(r"(?<![\d:.])(?P<H>[01]?\d|2[0-3])[:.](?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?(?![\d.])"
                    r"\s*(?:(?P<ap>[ap])\.?m\b\.?)?", re.IGNORECASE)
_QUARTER_HOUR = dt.timedelta(minutes=15)
_MOST = dt.timedelta(hours=14)


def wall_clock(text: str, language: str = "en") -> tuple[dt.datetime, bool] | None:
    """The local date and time a text writes without a zone ("Thursday, December 22, 2016, 06:47 PM",
    "22.12.2016 18:47"), naive, and whether it gave the seconds; None without a day or a time."""
    day, clock = day_in_text(text, language), _CLOCK.search(text)
    if day is None or clock is None:
        return None
    hour = int(clock["H"])
    if clock["ap"]:
        hour = hour % 12 + (12 if clock["ap"].lower() == "p" else 0)
    wall = dt.datetime(day.year, day.month, day.day, hour, int(clock["M"]), int(clock["S"] or 0))
    return wall, clock["S"] is not None


def in_page_offset(found: Moment, page: Page, metas: Iterable[str]) -> Moment:
    """A UTC instant written in the page's own offset, when one of its ``metas`` writes the same moment as
    a local time without a zone: the whole quarter hours between the two (within 14 hours) are the
    offset. Otherwise ``found`` as it is."""
    if not found.instant or not found.instant.endswith("Z"):
        return found
    utc = dt.datetime.fromisoformat(found.instant.replace("Z", "+00:00"))
    local_times = [value for key in metas for value in page.metas.get(key, ())
                   if (stated := parse_moment(value)) and not stated.instant]
    language = declared_language(page) if local_times else "en"  # read once, and only when needed
    for value in local_times:
        wall = wall_clock(value, language)
        if wall is None:
            continue
        naive = utc.replace(tzinfo=None) if wall[1] else utc.replace(tzinfo=None, second=0, microsecond=0)
        offset = wall[0] - naive
        if offset and abs(offset) <= _MOST and not offset % _QUARTER_HOUR:
            local = utc.astimezone(dt.timezone(offset))
            return Moment(local.isoformat(timespec="microseconds" if local.microsecond else "seconds"),
                          local.date())
    return found
