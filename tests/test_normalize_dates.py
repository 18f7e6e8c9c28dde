"""Dates as news cards and page state show them."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import get_day_names, get_month_names
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.normalize.dates import (
    from_epoch_millis,
    local_date,
    parse_card_date,
    parse_http_date,
    parse_instant,
)

UTC8 = dt.timezone(dt.timedelta(hours=8))
SERVED = dt.datetime(2026, 2, 6, 9, 12, 59, tzinfo=dt.UTC)  # the capture's Date header


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Feb 05, Thu", "en-AU", dt.date(2026, 2, 5)),
    ("Feb 06, Fri", "en", dt.date(2026, 2, 6)),
    ("Dec 17, 2024", "en-AU", dt.date(2024, 12, 17)),
    ("feb 05, jue", "es", dt.date(2026, 2, 5)),
    ("dic 17, 2024", "es", dt.date(2024, 12, 17)),
    ("sep 17, 2025", "es", dt.date(2025, 9, 17)),
    ("5 hours ago", "en-AU", dt.date(2026, 2, 6)),
    ("hace 5 horas", "es", dt.date(2026, 2, 6)),
    ("20 hours ago", "en", dt.date(2026, 2, 5)),  # 17:12 local minus 20 h
    ("", "en", None),
    ("soon", "en", None),
    ("Feb 30, Mon", "en", None),
    # the card's "MMM DD, ddd" in locales whose month names hold their number, or are two words
    ("2月 05, 周四", "zh", dt.date(2026, 2, 5)),
    ("2月 05, 週四", "zh-Hant", dt.date(2026, 2, 5)),
    ("12月 17, 2024", "zh-TW", dt.date(2024, 12, 17)),
    ("2月 05, 木", "ja", dt.date(2026, 2, 5)),
    ("2월 05, 목", "ko", dt.date(2026, 2, 5)),
    ("thg 2 05, T5", "vi", dt.date(2026, 2, 5)),  # "thg" alone names no month (was January)
    ("thg 12 17, 2024", "vi", dt.date(2024, 12, 17)),
    ("ก.พ. 05, พฤ.", "th", dt.date(2026, 2, 5)),
    ("5 小時前", "zh-Hant", dt.date(2026, 2, 6)),  # Traditional Chinese, which dateparser's "zh" does not read
    ("5 hours ago", "und", dt.date(2026, 2, 6)),  # a language dateparser does not know: English, not an error
    ("5 hours ago", "en_US", dt.date(2026, 2, 6)),
    ("5 hours ago", "", dt.date(2026, 2, 6)),
])
def test_card_dates(text, language, expected):
    assert parse_card_date(text, language, SERVED, UTC8) == expected


def test_year_comes_from_the_reference_not_the_clock():
    served_2030 = dt.datetime(2030, 3, 1, tzinfo=dt.UTC)
    assert parse_card_date("Feb 05, Tue", "en", served_2030, UTC8) == dt.date(2030, 2, 5)


def test_weekday_picks_the_previous_year_across_new_year():
    served = dt.datetime(2026, 1, 2, 3, 0, tzinfo=dt.UTC)  # Jan 2 in UTC+8
    assert parse_card_date("Dec 31, Wed", "en", served, UTC8) == dt.date(2025, 12, 31)


def test_site_local_new_year_is_the_current_year():
    served = dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)  # already 2026 in UTC+8
    assert parse_card_date("Jan 01, Thu", "en", served, UTC8) == dt.date(2026, 1, 1)


def test_weekday_that_fits_no_year_gives_none():
    assert parse_card_date("Feb 05, Mon", "en", SERVED, UTC8) is None


def test_instants():
    assert from_epoch_millis(1758091272000) == "2025-09-17T06:41:12Z"
    assert from_epoch_millis("x") is None
    assert parse_instant("2025-09-17T14:41:12+08:00") == "2025-09-17T06:41:12Z"
    assert parse_instant("2025-09-17T14:41:12") is None  # no offset: not an instant
    assert parse_instant("2025-09-17T06:41:12.5Z") == "2025-09-17T06:41:12.500000Z"
    assert parse_http_date("Fri, 06 Feb 2026 09:12:59 GMT") == SERVED
    assert parse_http_date("garbage") is None


def test_local_date_is_the_sites_calendar_day():
    assert local_date("2026-02-05T17:00:00Z", UTC8) == dt.date(2026, 2, 6)


LANGUAGES = ["en", "es", "pt", "fr", "de", "it", "id"]


@given(day=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 31)),
       language=st.sampled_from(LANGUAGES))
def test_current_year_cards_round_trip(day, language):
    """Any date of the served year, shown as "<month> <dd>, <weekday>" in any language, reads back."""
    month = get_month_names("abbreviated", "format", language)[day.month]
    weekday = get_day_names("abbreviated", "format", language)[day.weekday()]
    served = dt.datetime(2026, 12, 31, 12, tzinfo=dt.UTC)
    assert parse_card_date(f"{month} {day.day:02d}, {weekday}", language, served, UTC8) == day


@given(day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2025, 12, 31)),
       language=st.sampled_from(LANGUAGES))
def test_past_year_cards_round_trip(day, language):
    month = get_month_names("abbreviated", "format", language)[day.month]
    assert parse_card_date(f"{month} {day.day:02d}, {day.year}", language, SERVED, UTC8) == day


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_epoch_millis_round_trip(millis):
    text = from_epoch_millis(millis)
    assert text.endswith("Z")
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert round(parsed.timestamp() * 1000) == millis
