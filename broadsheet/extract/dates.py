"""Date sources the base reads when structured data and metas say nothing: ``<time>`` elements, the
visible text around the headline, labelled dates, the URL, and htmldate's rules last.

Each returns raw values (``<time datetime>`` texts) or a day-precision ``Moment``; the ``moment``
normaliser of ``broadsheet.extract.fields`` takes either. Month names are read in the page's declared
language (Babel's CLDR names) and in English.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from broadsheet.extract.page import Page, names_test, tree_of
from broadsheet.extract.xpath import nodes
from broadsheet.normalize.dates import Moment, day_in_text, day_in_url, parse_http_date
from broadsheet.normalize.text import clean_text, title_parts

logger = logging.getLogger(__name__)


def url_day(page: Page) -> Moment | None:
    """The day the URL spells, as a day-precision ``Moment``."""
    day = day_in_url(page.url)
    return Moment(None, day) if day else None


def time_elements(page: Page) -> list[str]:
    """``<time datetime>`` values: ``pubdate`` ones first, then those in the article, then the first on the page."""
    return [*nodes(page.root, "//time[@pubdate]/@datetime"),
            *nodes(page.root, "(//article//time[@datetime])[1]/@datetime | (//time[@datetime])[1]/@datetime")]


def declared_language(page: Page) -> str:
    """The language the page declares (``<html lang>``, ``content-language``, ``og:locale``), else ``en``."""
    found = nodes(page.root, "/html/@lang | /html/@xml:lang")
    for value in [*found, *page.metas.get("content-language", ()), *page.metas.get("og:locale", ())]:
        match = re.match(r"[A-Za-z]{2,3}(?=$|[-_])", value.strip())
        if match:
            return match.group(0).lower()
    return "en"


DATE_CLASS = re.compile(r"date|time|publish|posted|byline|meta")
"""Classes (or ids) of elements that hold a date: ``published-date``, ``byline``, ``article-meta``."""
_DATE_NAMES = names_test(DATE_CLASS)
OFF_STORY = re.compile(r"related|comment|sidebar|footer|teaser|recommend|popular|promo")
"""Classes of the blocks around a story whose dates and bylines are other stories' (related cards, comments)."""


_LAYOUT_MODIFIER = re.compile(r"(?:^|\s)(?:with|has|without|no)[-_]?(?:" + OFF_STORY.pattern + r")\S*")
"""A class that says what the layout around the story has (``withSidebar``, ``has-comments``), not what it is."""


def off_story(element: Any) -> bool:
    """Whether ``element`` sits in a related list, comments, a sidebar or a footer (``<body>``'s own
    classes, which templates fill with such words, do not count, nor a story container's class saying
    that the layout has one: CBC's ``detailBodyContainer withSidebar``)."""
    for ancestor in element.iterancestors():
        classes = (ancestor.get("class") or "").lower()
        if ancestor.tag not in ("body", "html") and OFF_STORY.search(classes) \
                and OFF_STORY.search(_LAYOUT_MODIFIER.sub(" ", classes)):
            return True
    return False


_FOLLOWING_TEXT = "following::text()[normalize-space()][position() <= 60]"


def _day_after(element: Any, language: str) -> Moment | None:
    """The first day spelled in the text that follows ``element``."""
    after = nodes(element, _FOLLOWING_TEXT) if element is not None else None
    found = day_in_text(" ".join(after)[:3000], language) if after else None
    return Moment(None, found) if found else None


def visible_date(page: Page) -> Moment | None:
    """The first day spelled in a date-like element's text, else in the text that follows the ``<h1>``."""
    language = declared_language(page)
    tried = 0
    for element, names in page.classed:
        if tried >= 40:
            break
        if _DATE_NAMES(names):
            tried += 1
            found = day_in_text(" ".join(element.itertext())[:300], language)
            if found and not off_story(element):
                return Moment(None, found)
    found = nodes(page.root, "(//h1)[1]")
    return _day_after(found[0], language) if found else None


def date_after_title(page: Page) -> Moment | None:
    """On a page without an ``<h1>``: the first day after the element that repeats the ``<title>`` (or a part
    of it), where old templates print the headline and then the date."""
    title = clean_text(page.title)
    if len(title) < 6 or nodes(page.root, "(//h1)[1]"):
        return None
    for text in page.short_texts:
        parent = text.getparent()
        if isinstance(parent.tag, str) and parent.tag != "title" and len(clean_text(text)) >= 6 \
                and clean_text(text) in title:
            return _day_after(parent, declared_language(page))
    return None


TITLE_DATE_MAX_WORDS = 5
"""A ``<title>`` part of at most this many words that spells a day is the page's date stamp, not a headline."""


def title_day(page: Page) -> Moment | None:
    """The day a part of the ``<title>`` is alone ("Una solución no violenta - 07.12.2017 - LA NACION"): a date
    stamp the template puts beside the headline, not a day the headline speaks of."""
    parts = title_parts(page.title)
    short = [part for part in parts if len(part.split()) <= TITLE_DATE_MAX_WORDS] if len(parts) > 1 else []
    if not short:
        return None
    language = declared_language(page)
    for part in short:
        found = day_in_text(part, language)
        if found:
            return Moment(None, found)
    return None


_LABELLED_DATE = re.compile(r"(?:发表于|发表时间|发布时间|发布日期|更新时间|时间|日期|published|posted|updated)"
                            r"\s*(?:on)?\s*[:：]?\s*"
                            r"((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})", re.IGNORECASE)


def labelled_date(page: Page) -> Moment | None:
    """A day after a label in the page's text ("发表于:2005-07-31 12:30", "Published: 2019/04/03")."""
    for found in page.short_texts:
        match = _LABELLED_DATE.search(found)
        day = day_in_text(re.sub(r"\s*[年月]\s*", "-", match.group(1)).replace("/", "-")) if match else None
        if day:
            return Moment(None, day)
    return None


FIRST_TEXTS = 600
"""How many of the page's short texts the last resort reads."""


def first_text_date(page: Page) -> Moment | None:
    """The first day spelled in any short text of the page's body: the very last resort, for pages
    whose date sits under a label with no class and no headline to follow."""
    language = declared_language(page)
    for text in page.short_texts[:FIRST_TEXTS]:
        found = day_in_text(text, language)
        if found:
            return Moment(None, found)
    return None


EXTENSIVE_MAX_BYTES = 50_000
"""htmldate's extensive search reads every text of the page: on small pages only (its time grows with the page)."""


def htmldate_day(page: Page) -> Moment | None:
    """The day htmldate's rules find (its fast mode; then, on small pages, its extensive search, whose
    January 1st is a year alone and is refused), on the page's tree as lxml.html elements, never later than the
    day after the page was served. Nearly the base's last resort: it runs only when every source before it found
    nothing."""
    from htmldate import find_date
    from lxml.html import HtmlElement, HTMLParser

    tree = page.root  # htmldate reads lxml.html elements only: the same tree built so on the few pages that get here
    if not isinstance(tree, HtmlElement):
        tree = tree_of(page.response, HTMLParser)
    served = parse_http_date(page.response.headers.get(b"Date"))
    latest = (served + dt.timedelta(days=1)).replace(tzinfo=None) if served else None
    for extensive in (False, True)[:2 if len(page.response.body) < EXTENSIVE_MAX_BYTES else 1]:
        try:
            found = find_date(tree, url=page.url, original_date=True, extensive_search=extensive,
                              outputformat="%Y-%m-%d", max_date=latest)
        except Exception:  # noqa: BLE001 - the library failing on one page is one source finding nothing
            logger.debug("htmldate failed on %(url)s", {"url": page.url}, exc_info=True)
            return None
        if found and not (extensive and found.endswith("-01-01")):
            return Moment(None, dt.date.fromisoformat(found))
    return None
