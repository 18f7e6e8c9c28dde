"""The standfirst: the summary a page shows as a block just above its story, which main-content extraction drops.

A standfirst is an element that either holds the page's own description (JSON-LD ``description``, the
description metas) or is named as one (a class or id such as ``lead``, ``standfirst``, ``excerpt``, ``dek``,
among the ``NEAR_ELEMENTS`` elements before the story's first paragraph); it is a paragraph, not a heading,
reads as sentences, holds no media, is not hidden nor inside page chrome, and comes before the body's first
paragraph of prose within ``WINDOW_CHARS`` of text. It joins the body as its block just before that paragraph,
unless the body already holds it. Nothing is named by site: the page says what its summary is and where it shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from broadsheet.extract.body import PARAGRAPH_MIN_CHARS, Body
from broadsheet.extract.body_density import CHROME_TAGS, is_chrome, names
from broadsheet.extract.page import Page
from broadsheet.extract.xpath import string_of
from broadsheet.normalize.text import BLOCK_SEPARATOR, clean_text

MIN_CHARS = 60
"""A standfirst is at least this long (shorter: a kicker, a label, a headline)."""
MAX_CHARS = 1200
"""And at most this long (longer: the story itself, or a whole teaser list)."""
WINDOW_CHARS = 3000
"""The body's first prose paragraph starts within this much page text after the standfirst."""
NAME_WORDS = ("lead", "standfirst", "excerpt", "intro", "dek", "deck", "summary", "abstract", "subline", "sapo",
              "chapo", "chapeau", "teaser-text", "description")
NEAR_ELEMENTS = 200
"""A standfirst named as one is among this many elements before the story's first paragraph."""
_NAME_TOKEN = re.compile(r"(?:^|[\s_-])(?:" + "|".join(NAME_WORDS) + r")(?:$|[\s_-])", re.IGNORECASE)

_HIDDEN_OR_MEDIA = etree.XPath(
    "boolean(.//figure | .//img | .//picture | .//video | ancestor-or-self::figure | ancestor-or-self::*[@hidden or "
    "@aria-hidden='true' or contains(concat(' ', normalize-space(@class), ' '), ' hidden ') or "
    "contains(translate(@style, ' ', ''), 'display:none')])")
"""Media or inside it (a lead image, a picture's caption: not a lead text) or hidden (a paywall's stand-in)."""
_SENTENCE_END = re.compile("[.!?\u3002\uff01\uff1f\"\u201d\u00bb)]$")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "title"})
"""A summary set as a heading is a subtitle (measured: the corpora's truths leave those out more often than not)."""
_INLINE = frozenset({"a", "b", "strong", "em", "i", "span", "font", "small", "u", "mark", "sup", "sub"})
_DESCRIPTIONS = ("description", "og:description", "twitter:description")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)$")


@lru_cache(maxsize=8)
def _containing(count: int) -> etree.XPath:
    """The page's text nodes holding any of ``count`` strings (``$h0``...): one pass in C, one ``contains`` each."""
    tests = " or ".join(f"contains(., $h{i})" for i in range(count))
    return etree.XPath(f"//body/descendant::text()[{tests}]", smart_strings=True)


def with_standfirst(body: Body, page: Page) -> Body:
    """The body with the page's shown standfirst as its block before the first prose paragraph (see the module)."""
    blocks = body.text.split(BLOCK_SEPARATOR)
    prose = next((i for i, b in enumerate(blocks) if len(b) >= PARAGRAPH_MIN_CHARS), None)
    if prose is None:
        return body
    head = blocks[prose][:40]
    for element, text in _candidates(page, head[:20], body.text):
        if text[:40] in body.text or not _shown_before(element, head):
            continue
        blocks.insert(prose, text)
        markdown = body.markdown
        if markdown is not None:
            at = markdown.find(head)
            markdown = markdown[:at] + text + BLOCK_SEPARATOR + markdown[at:] if at >= 0 else None
        return Body(BLOCK_SEPARATOR.join(blocks), markdown, body.doubtful)
    return body


def _candidates(page: Page, story_head: str, body_text: str) -> Iterator[tuple[etree._Element, str]]:
    """Elements showing the page's description, then the elements named as a standfirst shortly before the
    element showing ``story_head`` (nearest first), each with its clean text. One look at the page's text, for
    the descriptions the body does not already hold: an element showing one of those would be passed over, and
    each string looked for costs the look (444 of the corpora's 936 descriptions are in the body already; not
    looking for them took ``with_standfirst`` from 1.62 to 1.38 ms a page, the same standfirsts found)."""
    descriptions = [d for d in _descriptions(page)[:3] if d[:40] not in body_text]
    heads = list(dict.fromkeys([d[:30] for d in descriptions] + [story_head]))
    story, shown = None, []
    for found in _containing(len(heads))(page.root, **{f"h{i}": head for i, head in enumerate(heads)}):
        owner = found.getparent()  # a tail's owner is the element before it: its parent holds the text
        holder = owner.getparent() if found.is_tail else owner
        if story is None and story_head in found:
            story = holder
        shown.extend((holder, d) for d in descriptions if d[:30] in found)
    seen: set = set()
    for holder, description in shown:
        element = _block_of(holder)
        if element is None or element in seen:
            continue
        seen.add(element)
        text = _text(element)
        if (text == description or (len(description) >= MIN_CHARS and text.startswith(description))) \
                and _acceptable(element, text):
            yield element, text
    for element in _preceding(story) if story is not None else ():
        if element in seen or not _NAME_TOKEN.search(names(element)):
            continue
        text = _text(element)
        if _acceptable(element, text):
            yield element, text


def _text(element: etree._Element) -> str:
    """The element's clean text; empty when it is far too long to be a standfirst (not cleaned, not kept)."""
    raw = string_of(element)
    return clean_text(raw) if len(raw) <= 4 * MAX_CHARS else ""


def _descriptions(page: Page) -> list[str]:
    """The page's own summaries, cleaned, ellipses cut, without repeats."""
    values = [page.article_ld.get("description")] + [v for key in _DESCRIPTIONS for v in page.metas.get(key, [])]
    found = []
    for value in values:
        if isinstance(value, str):
            text = _ELLIPSIS.sub("", clean_text(value))
            if len(text) >= MIN_CHARS and text not in found:
                found.append(text)
    return found


def _block_of(element: etree._Element | None) -> etree._Element | None:
    """The nearest ancestor-or-self that is not an inline element."""
    while element is not None and element.tag in _INLINE:
        element = element.getparent()
    return element


def _acceptable(element: etree._Element, text: str) -> bool:
    """Sentences of a standfirst's length, not a heading, not inside page chrome."""
    if element.tag in _HEADINGS or element.tag in CHROME_TAGS or not MIN_CHARS <= len(text) <= MAX_CHARS:
        return False
    if not _SENTENCE_END.search(text) or _HIDDEN_OR_MEDIA(element):
        return False
    ancestor = element.getparent()
    while ancestor is not None:
        if is_chrome(ancestor):
            return False
        ancestor = ancestor.getparent()
    return True


def _shown_before(element: etree._Element, head: str) -> bool:
    """Whether the body's first prose paragraph starts within ``WINDOW_CHARS`` of page text after the element."""
    parts, size = [], 0
    for part in _following_text(element):
        parts.append(part[:WINDOW_CHARS])  # a script's text is not let to be cleaned whole
        size += len(part)
        if size > 4 * WINDOW_CHARS:
            break
    at = clean_text(" ".join(parts)).find(head)
    return 0 <= at <= WINDOW_CHARS


_PRECEDING = etree.XPath(f"preceding::*[position() <= {NEAR_ELEMENTS}]")
"""Up to ``NEAR_ELEMENTS`` elements before the context element (not its ancestors): the nearest, in page order."""


def _preceding(element: etree._Element) -> list[etree._Element]:
    """Up to ``NEAR_ELEMENTS`` elements before ``element`` in the page (not its ancestors), nearest first."""
    return _PRECEDING(element)[::-1]


def _following_text(element: etree._Element) -> Iterator[str]:
    """The page's text after ``element`` (its tail, then what follows it and its ancestors), in page order."""
    while element is not None:
        if element.tail:
            yield element.tail
        for sibling in element.itersiblings():
            if isinstance(sibling.tag, str):
                yield from sibling.itertext(with_tail=True)
            elif sibling.tail:  # a comment's text is not the page's, its tail is
                yield sibling.tail
        element = element.getparent()
