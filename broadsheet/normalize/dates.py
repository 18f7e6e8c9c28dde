"""Dates as news pages show them, normalised to RFC 3339 instants and calendar dates.

Two precisions are kept apart, because a page that gives only a day has not given an instant:

- an *instant* is returned as an RFC 3339 string in UTC with ``Z`` (``2025-09-17T06:41:12Z``);
- a *calendar date* is returned as ``datetime.date`` (serialised ``YYYY-MM-DD``), never as
  midnight UTC.

Card dates ("Feb 05, Thu", "Dec 17, 2024", "feb 05, jue", "5 hours ago") are read in the page's
language with Babel's CLDR month and weekday names; a date without a year takes the year of the
*reference time* (when the page was served: the response's Date header, never the machine's
clock), checked against the weekday shown. Relative phrases go through dateparser.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import get_day_names, get_month_names

UTC = dt.UTC
_YEAR = re.compile(r"^\d{4}$")
_DAY = re.compile(r"^\d{1,2}$")
_TOKEN = re.compile(r"[^\W\d_]+\.?|\d+", re.UNICODE)
_RELATIVE_HINT = re.compile(r"\d+\s*\D+|\D+\s*\d+")


def to_rfc3339_utc(moment: dt.datetime) -> str:
    """An aware datetime as RFC 3339 in UTC with ``Z``; microseconds kept only when non-zero."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; an instant needs one")
    moment = moment.astimezone(UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def from_epoch_millis(value: int | float | str | None) -> str | None:
    """Epoch milliseconds (as embedded page state carries them) as an RFC 3339 UTC instant."""
    if value is None or value == "":
        return None
    try:
        millis = float(value)
    except (TypeError, ValueError):
        return None
    return to_rfc3339_utc(dt.datetime.fromtimestamp(millis / 1000, tz=UTC))


def parse_instant(text: str | None) -> str | None:
    """An ISO 8601 / RFC 3339 date-time *with an offset* as an RFC 3339 UTC instant.

    A date-time without an offset is not an instant (its zone is unknown): ``None``.
    """
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return to_rfc3339_utc(moment) if moment.tzinfo else None


@lru_cache(maxsize=256)  # pages served in the same second share their Date header
def parse_http_date(text: str | bytes | None) -> dt.datetime | None:
    """An HTTP ``Date`` header as an aware UTC datetime, or None."""
    if not text:
        return None
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_date(instant: str | None, tz: dt.tzinfo) -> dt.date | None:
    """The calendar date, in zone ``tz``, of an RFC 3339 instant."""
    if not instant:
        return None
    return dt.datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(tz).date()


@lru_cache(maxsize=4096)  # month and weekday names, day numbers: the same few words on every card
def _fold(word: str) -> str:
    """Lower case without accents or a trailing dot: 'Mié.' -> 'mie'."""
    word = unicodedata.normalize("NFKD", word.lower().rstrip("."))
    return "".join(c for c in word if not unicodedata.combining(c))


@lru_cache(maxsize=64)
def _names(language: str) -> tuple[dict[str, int], dict[str, int]]:
    """Folded month and weekday names (abbreviated and wide, both contexts) for a language."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    months: dict[str, int] = {}
    days: dict[str, int] = {}
    for locale_ in {locale, Locale.parse("en")}:
        for width in ("abbreviated", "wide"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale_).items():
                    months.setdefault(_fold(name), number)
                for number, name in get_day_names(width, context, locale_).items():
                    days.setdefault(_fold(name), number)
    # CLDR says "sept" where sites often write "sep": accept the 3-letter prefix too, where it names one month
    # (Vietnamese months are all "thg 1" to "thg 12": their "thg" names none).
    prefixes: dict[str, set[int]] = {}
    for name, number in months.items():
        prefixes.setdefault(name[:3], set()).add(number)
    for prefix, numbers in prefixes.items():
        if len(numbers) == 1:
            months.setdefault(prefix, numbers.pop())
    months.setdefault("sept", 9)  # and English CLDR says "sep" where sites write "Sept."
    return months, days


def _alternatives(names: Iterable[str]) -> str:
    """``names`` as one regular-expression alternation, the longest first (so "marzo" is tried before "mar")."""
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


@lru_cache(maxsize=64)
def _compound_months(language: str) -> re.Pattern[str] | None:
    """The month names of ``language`` that are not one word of letters ("2月", "2월", "thg 2"), as one pattern
    over folded text (a number beside one is not part of it: "12月" is not "2月")."""
    names = [m for m in _names(language)[0] if not m.isalpha()]
    return re.compile(r"(?<!\d)(?:" + _alternatives(names) + r")(?!\d)") if names else None


def parse_card_date(text: str | None, language: str, reference: dt.datetime,
                    tz: dt.tzinfo = UTC) -> dt.date | None:
    """The calendar date a news card shows, in the site's zone ``tz``.

    ``reference`` is when the page was served (aware). Accepted shapes, in any language Babel
    knows: "Feb 05, Thu" (no year: the reference year, or the neighbouring year whose weekday
    matches), "Dec 17, 2024", "17 dic 2024", and relative phrases ("5 hours ago",
    "hace 5 horas"). Anything else gives None.
    """
    if not text or not text.strip():
        return None
    local_ref = reference.astimezone(tz)
    months, days = _names(language)
    month = weekday = year = day = None
    words = text
    compound = _compound_months(language)
    if compound and (found := compound.search(folded := _fold_text(text))):
        # a month written with its number ("2月 05, 周四", "thg 2 05, T5"): the rest holds the day
        month, words = months[found.group(0)], f"{folded[:found.start()]} {folded[found.end():]}"
    tokens = _TOKEN.findall(words)
    for token in tokens:
        folded = _fold(token)
        if _YEAR.match(token):
            year = int(token)
        elif _DAY.match(token) and day is None:
            day = int(token)
        elif folded in months and month is None:
            month = months[folded]
        elif folded in days:
            weekday = days[folded]
    if month is None or day is None:
        return parse_relative(text, language, local_ref)
    if year is not None:
        return _safe_date(year, month, day)
    candidates = [_safe_date(y, month, day) for y in (local_ref.year, local_ref.year - 1, local_ref.year + 1)]
    candidates = [c for c in candidates if c is not None]
    if weekday is None:
        return candidates[0] if candidates else None
    return next((c for c in candidates if c.weekday() == weekday), None)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_relative(text: str, language: str, local_reference: dt.datetime) -> dt.date | None:
    """The calendar date of a relative phrase ("5 hours ago") seen at ``local_reference``."""
    if not _RELATIVE_HINT.search(text):
        return None
    import dateparser  # imported on first use: slow to import, rarely needed

    naive_ref = local_reference.replace(tzinfo=None)
    parsed = dateparser.parse(
        text, languages=_dateparser_languages(language),
        settings={"RELATIVE_BASE": naive_ref, "PREFER_DATES_FROM": "past",
                  "RETURN_AS_TIMEZONE_AWARE": False},
    )
    if parsed is None or parsed > naive_ref + dt.timedelta(days=1):
        return None
    return parsed.date()


@lru_cache(maxsize=64)
def _dateparser_languages(language: str) -> list[str]:
    """The languages dateparser reads a BCP 47 tag's relative phrases in: the tag's script form when dateparser
    has one ("zh-Hant"; zh-TW, zh-HK and zh-MO are written so), and its language ("zh"); English when dateparser
    knows neither ("und", "x-default", "") rather than an error that would fail the page."""
    from dateparser.data.languages_info import language_order

    primary, *subtags = language.replace("_", "-").lower().split("-")
    script = next((tag.title() for tag in subtags if len(tag) == 4), None)
    if primary == "zh" and script is None and {"tw", "hk", "mo"} & set(subtags):
        script = "Hant"
    known = [tag for tag in (f"{primary}-{script}" if script else None, primary) if tag in language_order]
    return known or ["en"]


@dataclass(frozen=True)
class Moment:
    """A date as a page states it: the ``instant`` (RFC 3339 with the page's own offset, or None when
    the page gives no time or no offset) and the calendar ``day`` the page shows."""

    instant: str | None
    day: dt.date


_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2}(?!\d))?)?"
)
_COMPACT = re.compile(r"^(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?:T?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$")
_DOTTED = re.compile(r"^(?P<d>\d{1,2})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
                     r"(?:\D+(?P<H>\d{1,2}):(?P<M>\d{2}))?")
"""Day first (``31.12.2024``, ``31/12/2024``, ``31-12-2024``); month first only when the day cannot be a month
(``12-15-2016``): an ambiguous ``05/04/2019`` is read day first, as most of the world writes it."""
_EARLIEST = dt.date(1990, 1, 1)


def _offset(zone: str | None) -> dt.tzinfo | None:
    if not zone:
        return None
    if zone in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _moment(parts: dict[str, str | None], zone: dt.tzinfo | None) -> Moment | None:
    day = _safe_date(int(parts["y"]), int(parts["m"]), int(parts["d"]))
    if day is None or day < _EARLIEST:
        return None
    if parts.get("H") is None or zone is None:
        return Moment(None, day)
    try:
        moment = dt.datetime(day.year, day.month, day.day, int(parts["H"]), int(parts["M"]), int(parts.get("S") or 0),
                             int((parts.get("f") or "0")[:6].ljust(6, "0")), tzinfo=zone)
    except ValueError:
        return Moment(None, day)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return Moment(text.replace("+00:00", "Z"), day)


ZONE_MINUTES = {"GMT": 0, "UTC": 0, "WET": 0, "BST": 60, "WEST": 60, "CET": 60, "MEZ": 60, "CEST": 120, "MESZ": 120,
                "EET": 120, "EEST": 180, "MSK": 180, "HKT": 480, "SGT": 480, "JST": 540, "KST": 540, "AEST": 600,
                "AEDT": 660, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "PST": -480, "PDT": -420}
"""Zone names with one meaning across news sites, as minutes from UTC (CST the US one, as RFC 2822 has
it). IST is left out: India's, Ireland's or Israel's."""
_ZONE_NAME = re.compile(r"(?<![A-Za-z])(?:" + "|".join(ZONE_MINUTES) + r")(?![A-Za-z])")


def _zone_offset(match: re.Match[str]) -> str:
    minutes = ZONE_MINUTES[match.group(0)]
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def parse_moment(value: object) -> Moment | None:
    """A date as structured data and metas carry it: ISO 8601 in its many spellings (space for ``T``,
    no seconds, ``+0100``), ``YYYYMMDD``, ``DD.MM.YYYY`` (``MM-DD-YYYY`` when unambiguous), RFC 2822 (also
    with a European or Asian zone's name, ``CEST``), or epoch seconds/milliseconds.

    The offset the page gives is kept; without one (or without a time) only the day is known.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            moment = dt.datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return Moment(to_rfc3339_utc(moment), moment.date()) if moment.date() >= _EARLIEST else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _ISO.search(text[:40])
    if match:
        return _moment(match.groupdict(), _offset(match.group("z")))
    for pattern in (_COMPACT, _DOTTED):
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            if pattern is _DOTTED and int(parts["m"]) > 12 >= int(parts["d"]):
                parts["d"], parts["m"] = parts["m"], parts["d"]
            return _moment(parts, None)
    if text.isdigit() and len(text) in (10, 13):
        return parse_moment(int(text))
    try:
        moment = parsedate_to_datetime(_ZONE_NAME.sub(_zone_offset, text))  # Java's "CEST"
    except (TypeError, ValueError, IndexError):
        return None
    if moment.date() < _EARLIEST:
        return None
    if moment.tzinfo is None:
        return Moment(None, moment.date())
    iso = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    return Moment(iso, moment.date())


_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?([01]\d)[/-]?([0-3]\d)(?:/|[^\d]|$)")


_URL_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december")
_URL_NAMED_DATE = re.compile(r"/((?:19|20)\d{2})/(" + "|".join(f"{m[:3]}(?:{m[3:]})?" for m in _URL_MONTHS)
                             + r")/([0-3]?\d)(?:/|[^\d]|$)", re.IGNORECASE)


def day_in_url(url: str) -> dt.date | None:
    """The day a URL's path spells as ``/2024/11/22/``, ``/2024-11-22-``, ``/20241122`` or with the
    month's English name (``/2019/nov/18/``, ``/2019/november/18/``), or None."""
    path = url.split("?", 1)[0]
    match = _URL_DATE.search(path)
    if match:
        return _safe_date(*map(int, match.groups()))
    named = _URL_NAMED_DATE.search(path)
    if named:
        return _safe_date(int(named[1]), [m[:3] for m in _URL_MONTHS].index(named[2][:3].lower()) + 1, int(named[3]))
    return None


_ORDINAL = r"(?:st|nd|rd|th|er|e|º|°)?"


@lru_cache(maxsize=64)
def _text_dates(language: str) -> tuple[re.Pattern[str], ...]:
    """The patterns of a day spelled in text, month names in ``language`` and English (folded)."""
    month = r"(?P<mon>" + _alternatives(m for m in _names(language)[0] if len(m) >= 3) + r")\.?"
    return (
        re.compile(r"(?<![^\W\d_])" + month + r"\s+(?P<d>\d{1,2})" + _ORDINAL + r",?\s+(?P<y>(?:19|20)\d{2})"),
        re.compile(r"(?<!\d)(?P<d>\d{1,2})" + _ORDINAL + r"\.?\s+(?:of\s+|de\s+)?" + month
                   + r"(?![^\W\d_]),?\s+(?:de\s+)?(?P<y>(?:19|20)\d{2})"),
        # CJK; a page decoded with the wrong charset keeps the digits and loses 年月日 to U+FFFD
        re.compile(r"(?P<y>(?:19|20)\d{2})\s*(?:年|\ufffd{1,2})\s*(?P<m>\d{1,2})\s*(?:月|\ufffd{1,2})\s*(?P<d>\d{1,2})"
                   r"(?!\d)"),
        re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[./-](?P<m>[01]?\d)[./-](?P<d>[0-3]?\d)(?!\d)"),
        re.compile(r"(?<!\d)(?P<d>[0-3]?\d)\.(?P<m>[01]?\d)\.(?P<y>(?:19|20)\d{2})(?!\d)"),
        # 17/9/2004 or 9/17/2004: only when one number cannot be a month (5/4/2019 is read by no one the same)
        re.compile(r"(?<![\d/])(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)/(?P<y>(?:19|20)\d{2})(?![\d/])"),
    )


def _fold_text(text: str) -> str:
    """Lower case without accents, character for character ('16. März' -> '16. marz')."""
    if text.isascii():
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def day_in_text(text: str, language: str = "en") -> dt.date | None:
    """The first calendar day a visible text spells ("December 16, 2016", "1 June 2019", "16. März 2019",
    "le 3 février 2020", "5 de marzo de 2021", "2019年4月3日", "2019/04/03", "03.04.2019", "9/17/2004"), or None.
    Month names in ``language`` (Babel's CLDR names) and English; numeric and CJK forms in any language."""
    months = _names(language)[0]
    folded = _fold_text(text)
    best: tuple[int, dt.date] | None = None
    for pattern in _text_dates(language):
        match = pattern.search(folded)
        if not match:
            continue
        parts = match.groupdict()
        if parts.get("a"):
            low, high = sorted((int(parts["a"]), int(parts["b"])))
            parts["m"], parts["d"] = (str(low), str(high)) if low <= 12 < high or low == high else ("0", "0")
        month = months.get(parts["mon"].rstrip(".")) if parts.get("mon") else int(parts["m"])
        day = _safe_date(int(parts["y"]), month or 0, int(parts["d"])) if month else None
        if day and day >= _EARLIEST and (best is None or match.start() < best[0]):
            best = (match.start(), day)
    return best[1] if best else None
