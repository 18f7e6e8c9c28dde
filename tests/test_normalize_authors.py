"""Author names from bylines and structured data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.normalize.authors import normalize_authors, split_byline


@pytest.mark.parametrize(("raw", "expected"), [
    ("Tradingkey", ["Tradingkey"]),
    ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("JANE DOE, JOHN ROE", ["Jane Doe", "John Roe"]),
    ("Jane Doe (Reuters) jane@example.com", ["Jane Doe"]),
    ("Por Ana Pérez y Luis Gómez", ["Ana Pérez", "Luis Gómez"]),
    ("S&P Global", ["S&P Global"]),
    ("By Laura E. Adkins December 28, 2017", ["Laura E. Adkins"]),  # a date printed after the byline
    ("By Ann Lee Sept. 5th, 2019 at 3:45 pm", ["Ann Lee"]),
    ("Theresa May", ["Theresa May"]),
    ("신현주 기자", ["신현주"]), ("山田太郎記者", ["山田太郎"]),  # a reporter's title
    ("Gillman, Steve", ["Steve Gillman"]), ("Kuhn, Bradley M.", ["Bradley M. Kuhn"]),  # surname first
    ("Reuters, AFP", ["Reuters", "AFP"]), ("Smith, Jane Doe", ["Smith", "Jane Doe"]),  # two names
    ("Ben Silverman Games Editor", ["Ben Silverman"]), ("Sam Stein Senior Politics Editor", ["Sam Stein"]),
    ("Jane Doe Editor", ["Jane Doe"]), ("Howard Blume Staff Writer", ["Howard Blume"]),
    (" 谢若含 2017-03-01 14:27:02", ["谢若含"]), ("Ann Lee 28.12.2017", ["Ann Lee"]),
    ("by Jeff Foust Monday, November 18, 2019", ["Jeff Foust"]), ("NOVEMBER 20, 2019 10:43", []),
    ("By JERUSALEM POST STAFF NOVEMBER 20, 2019 10:43", ["Jerusalem Post Staff"]),
    ("Pete Evans · CBC News · Posted: Oct 14, 2022 9:27 AM ET", ["Pete Evans", "CBC News"]),  # the date's label
    ("Posted by Ann Lee", ["Ann Lee"]), ("Written by: Dana Roe", ["Dana Roe"]),
    ("", []),
])
def test_bylines(raw, expected):
    assert split_byline(raw) == expected


def test_structured_shapes():
    assert normalize_authors({"@type": "Person", "name": "Jane Doe"}) == ["Jane Doe"]
    assert normalize_authors([{"name": "A B"}, "C D", {"name": "A B"}]) == ["A B", "C D"]
    assert normalize_authors(None) == []


# Names without the byline's own connectors: in "By Aaa And and Aaa Aaa" no reader can tell where
# one name ends either (hypothesis found it), so such names are outside what a byline can say.
# Nor names that open with a byline's lead word: in "By Aaa Aaa and Von Aaa" "Von" reads as the German "by"
# before a second name (hypothesis found it too).
CONNECTORS = {"and", "und", "et", "y", "e"}  # broadsheet/normalize/authors.py _SEPARATORS
LEAD_WORDS = {"by", "por", "par", "von", "di", "door"}  # broadsheet/normalize/authors.py _BY
name = st.from_regex(r"[A-Z][a-z]{2,8} [A-Z][a-z]{2,10}", fullmatch=True).filter(
    lambda n: not CONNECTORS & {word.lower() for word in n.split()} and n.split()[0].lower() not in LEAD_WORDS)


@given(st.lists(name, min_size=1, max_size=4, unique=True))
def test_joined_names_split_back(names):
    byline = "By " + ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    assert split_byline(byline) == names
