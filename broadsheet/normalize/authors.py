"""Author names as pages give them, normalised to a clean list of display names.

Handles bylines ("By Jane Doe and John Roe", a date after them), separators (",", ";", "|", "•",
and a spaced "&" or "and" in a few languages), e-mail addresses, bracketed roles, job titles after
a name ("Staff Writer"), degrees ("MA"), SHOUTED names, and structured data shapes (a string, a
``{"name": ...}`` object, or lists of either). Names keep their own spelling otherwise: "Tradingkey"
stays "Tradingkey".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from broadsheet.normalize.text import clean_text

BY_LABELS = ("Written", "Posted", "Words", "Reporting", "Story", "Text")
"""The words that make "by" a byline's label of two words ("Written by", "Posted by")."""
_BY = re.compile(r"^(?:(?:" + "|".join(BY_LABELS) + r")\s+by|by|por|par|von|di|door|от|作者)\s*[:：]?\s+",
                 re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*[,;|•·]\s*|\s+(?:and|&|y|et|und|e)\s+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_PARENS = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
_TITLE_WORDS = (r"(?<=\S)\s+(?:(?:Senior|Chief|Staff|Contributing|Deputy|Managing|Executive|Associate|Assistant"
                r"|Special|Political|Politics|Culture|Business|Science|Sports|Tech|Technology|Health|Foreign|Legal"
                r"|News|Travel|Investigative|Digital|White House|Washington|National)\s+)*")
_TITLE = r"(?:Editor|Writer|Reporter|Correspondent|Contributor|Columnist|Producer|Journalist)s?$"
_ROLES = (re.compile(_TITLE_WORDS + r"(?:[A-Z][a-z]+\s+)?" + _TITLE), re.compile(_TITLE_WORDS + _TITLE))
"""A job title after a name: "Sam Stein Senior Politics Editor", "Howard Blume Staff Writer", with a subject of
its own ("Ben Silverman Games Editor"), else without one ("Jane Doe Editor", where the word before is a name's)."""
_DATE_AFTER = re.compile(r"(?:^|\s+)(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
                         r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b"
                         r"|\d{4}[-/.年]\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}).*$", re.IGNORECASE)
"""A date printed after the names (or alone), and all that follows it: "By Laura E. Adkins December 28, 2017
9:00 am", "by Jeff Foust Monday, November 18, 2019", "谢若含 2017-03-01 14:27:02"."""
_DATE_LABEL = re.compile(r"(?i)^(?:posted|published|updated|last updated)(?:\s+on)?$")
"""The label of a date cut off after it, left as a part of its own: "Pete Evans · CBC News · Posted: Oct 14, 2022"."""
_SURNAME_FIRST = re.compile(r"^([A-Z][a-z][\w'’-]*),\s+([A-Z][a-z]+(?:\s+[A-Z]\.)?|[A-Z]\.(?:\s?[A-Z]\.)*|[A-Z])$")
"""One name written surname first, as catalogues do: "Gillman, Steve", "Kuhn, Bradley M.", "Kooman, F"."""
_DEGREE = re.compile(r"^(?:MA|MS|MSc|MD|PhD|Ph\.D\.?|MPH|RN|DO|MBA|JD|BSc)$")


_REPORTER = re.compile(r"(?<=\S)\s*(?:기자|특파원|記者|记者|特派員|特派员)$")
"""A reporter's title after a Korean, Japanese or Chinese name ("신현주 기자"), which is one word."""


def _without_role(name: str) -> str:
    """The name without a trailing job title, when two words at least stay ("Jane Doe Staff Writer"), or
    without a reporter's title after a name in Korean, Japanese or Chinese ("신현주 기자")."""
    if _REPORTER.search(name):
        return _REPORTER.sub("", name)
    for role in _ROLES:
        bare = role.sub("", name)
        if bare != name and len(bare.split()) >= 2:
            return bare
    return name


def _proper_case(name: str) -> str:
    """An all-capitals name in title case ("JANE DOE" -> "Jane Doe"); others unchanged."""
    letters = [c for c in name if c.isalpha()]
    if len(letters) > 3 and all(c.isupper() for c in letters):
        return name.title()
    return name


def split_byline(byline: str | None) -> list[str]:
    """The names in one byline string, cleaned, in order, without duplicates."""
    text = clean_text(byline)
    text = _EMAIL.sub("", text)
    text = _PARENS.sub("", text)
    text = _SURNAME_FIRST.sub(r"\2 \1", _DATE_AFTER.sub("", _BY.sub("", text)).strip())
    names: list[str] = []
    for part in _SEPARATORS.split(text):
        part = _without_role(_proper_case(_BY.sub("", part).strip(" .:-–—")))
        if part and any(c.isalpha() for c in part) and not _DEGREE.match(part) and not _DATE_LABEL.match(part) \
                and part not in names:
            names.append(part)
    return names


def normalize_authors(value: Any) -> list[str]:
    """Author names from a string, a structured-data object or a list of either.

    Strings are split as bylines; objects give their ``name``. Order is kept, duplicates go.
    """
    names: list[str] = []
    for raw in _flatten(value):
        for name in split_byline(raw):
            if name not in names:
                names.append(name)
    return names


def _flatten(value: Any) -> Iterable[str]:
    if value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            yield name
    elif isinstance(value, (list, tuple)):
        for entry in value:
            yield from _flatten(entry)
