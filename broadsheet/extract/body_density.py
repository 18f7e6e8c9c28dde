"""The story's containers on the page's own lxml tree, by where its prose is (readability's idea, no site rules).

Every paragraph-like element with enough text (a ``<p>``, or text written straight into a ``<div>``)
scores its parent fully, its grandparent half and three more ancestors less (more for long text and
commas); paragraphs inside page chrome (navigation, asides, and elements whose class or id reads as
comments, related stories, share bars, newsletter boxes...) score nothing. The five best get a bonus
when their class reads as story text and are scaled by how little of their text is link text; the best
one, with those of its siblings that score well or read as prose, holds the story, and so do its cousins
built alike (same tag, class and depth, mostly prose): the story's other sections. Its blocks (chrome
left out) are the body, with their tags for Markdown.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from lxml import etree

from broadsheet.extract.body import Body
from broadsheet.extract.page import Page
from broadsheet.extract.xpath import string_of
from broadsheet.normalize.text import BLOCK_SEPARATOR, markdown_blocks, tagged_blocks

CHROME = re.compile(r"-ad-|banner|breadcrumb|combx|comment|community|disqus|extra|footer|gdpr|header|legends|"
                    r"menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|"
                    r"ad-break|agegate|pagination|pager|popup|newsletter|subscribe|share|promo|outbrain|taboola|"
                    r"recommend|trending|most-?read|teaser|cookie", re.IGNORECASE)
"""Classes and ids of page chrome, not story text (readability's unlikely candidates, and more: cookie notices, which
resiliparse keeps above the story; not ``consent``: a consent platform's dialog holds so many common words that
``chrome_words`` took a story's opening for chrome)."""
STORY = re.compile(r"and|article|body|column|content|main|shadow|story|entry", re.IGNORECASE)
"""Classes and ids that may hold story text even when they also read as chrome. Not ``post``: it made
``jp-relatedposts`` (WordPress's related-posts grid) story text; without it no corpus page is worse, two better."""
KEPT_TAGS = frozenset({"html", "body", "main", "article"})
"""Never chrome, and the chrome of what is outside them does not reach inside."""
CHROME_TAGS = frozenset({"nav", "aside", "footer", "button", "figcaption", "script", "style", "noscript", "template",
                         "svg", "iframe", "select", "menu", "dialog"})
"""Tags that are chrome whatever their class."""
MIN_PARAGRAPH_CHARS = 25
ANCESTOR_LEVELS = 5
TOP_CANDIDATES = 5


def names(element: etree._Element) -> str:
    """The element's class and id, one string."""
    return f'{element.get("class") or ""} {element.get("id") or ""}'


def is_chrome(element: etree._Element) -> bool:
    """Whether the element is page chrome by its tag or its class/id (story words win over chrome words, except
    in an id that reads as chrome on its own: ``class="user-post-text" id="comment-text"`` is a comment)."""
    tag = element.tag
    if not isinstance(tag, str) or tag in CHROME_TAGS:
        return isinstance(tag, str)
    if tag in KEPT_TAGS:
        return False
    classes, ident = element.get("class"), element.get("id")
    if classes is None and ident is None:  # most elements: nothing to read
        return False
    return _chrome_names(f'{classes or ""} {ident or ""}') or _chrome_names(ident or "")


_CHROME_LOWER, _STORY_LOWER = re.compile(CHROME.pattern), re.compile(STORY.pattern)
"""``CHROME`` and ``STORY`` for lower-cased ASCII names: the same verdicts, 3.4x faster than ignoring case (measured
on 20,000 distinct class names of the corpora, 2.4 against 8.3 us a name)."""


@lru_cache(maxsize=4096)
def _chrome_names(attributes: str) -> bool:
    if attributes.isascii():  # ASCII lower-cases as IGNORECASE folds it (no Kelvin sign, no long s)
        lowered = attributes.lower()
        return bool(_CHROME_LOWER.search(lowered)) and not _STORY_LOWER.search(lowered)
    return bool(CHROME.search(attributes)) and not STORY.search(attributes)


_LONG = f"string-length(normalize-space()) >= {MIN_PARAGRAPH_CHARS}"
_PARAGRAPHS = etree.XPath(" | ".join([*(f"//body//{tag}[{_LONG}]" for tag in ("p", "pre", "blockquote")),
                                      *(f"//body//{tag}[text()[{_LONG}]]" for tag in ("div", "td"))]))
"""Paragraph-like elements with enough text, in page order: selected in C, so the many short ones cost nothing in
Python. One path per tag, whose name test libxml2 makes before any predicate: 0.52 against 0.67 ms a corpus page
for one walk testing every element of the body against all five kinds."""
_OWN_TEXT = etree.XPath("text()", smart_strings=False)
_LINK_TEXT = etree.XPath(".//a//text()", smart_strings=False)


def _link_density(element: etree._Element) -> float:
    length = len(string_of(element))
    return min(1.0, sum(map(len, _LINK_TEXT(element))) / length) if length else 1.0


def story_containers(root: etree._Element) -> list[etree._Element]:
    """The elements holding the story's paragraphs (the best one and its siblings that are prose too), in page
    order; none when the page has too little prose."""
    scores: dict[etree._Element, float] = {}
    chrome: dict[etree._Element, bool] = {}

    def inside_chrome(element: etree._Element) -> bool:
        """Chrome itself or inside chrome, up to the nearest ``article``/``main`` (never above the story)."""
        path = []
        node = element
        found = False
        while node is not None:
            if node in chrome:
                found = chrome[node]
                break
            path.append(node)
            if node.tag in KEPT_TAGS:
                break
            node = node.getparent()
        for seen in reversed(path):
            found = found or is_chrome(seen)
            chrome[seen] = found
        return found

    for paragraph in _PARAGRAPHS(root):
        # a div or cell counts the text written straight into it (lines split by <br>)
        own = paragraph.tag in ("div", "td")
        text = ("".join(_OWN_TEXT(paragraph)) if own else string_of(paragraph)).strip()
        if len(text) < MIN_PARAGRAPH_CHARS or inside_chrome(paragraph):
            continue
        score = 1 + text.count(",") + text.count("\uff0c") + text.count("\u3001") + min(len(text) // 100, 3)
        ancestor = paragraph.getparent()
        for level in range(ANCESTOR_LEVELS):
            if ancestor is None:
                break
            scores[ancestor] = scores.get(ancestor, 0.0) + score / (1 if level == 0 else 2 if level == 1 else level * 3)
            ancestor = ancestor.getparent()
    if not scores:
        return []
    ranked = sorted(scores.items(), key=lambda item: -item[1])[:TOP_CANDIDATES]
    final: dict[etree._Element, float] = {}
    for element, score in ranked:
        if STORY.search(names(element)):
            score *= 1.25
        final[element] = score * (1 - _link_density(element))
    best = max(final, key=final.__getitem__)
    parent = best.getparent()
    if parent is None:
        return [best]
    threshold = max(10.0, final[best] * 0.2)
    kept = []
    for sibling in parent:
        if sibling is best:
            kept.append(sibling)
        elif isinstance(sibling.tag, str) and not is_chrome(sibling):
            score = scores.get(sibling, 0.0) * (1 - _link_density(sibling)) if sibling in scores else 0.0
            if score >= threshold or (sibling.tag == "p" and _prose(sibling)):
                kept.append(sibling)
    return _with_cousins(best, kept, scores)


COUSIN_LEVELS = 5
"""How far above the best container its cousins (the story's other sections, built alike) are looked for."""
PROSE_RUN_CHARS = 80
"""A text run this long is prose; a cousin holds mostly such runs (``PROSE_SHARE`` of its text), not headers."""
PROSE_SHARE = 0.6


_NUMBERS = re.compile(r"\d+")
"""What a section's class numbers (``story-body story-body-1``, ``-2``): its cousins' classes differ only there."""


def _with_cousins(best: etree._Element, kept: list[etree._Element],
                  scores: dict[etree._Element, float]) -> list[etree._Element]:
    """``kept`` with the best container's cousins: elements of its tag, class (numbers aside) and depth, under its
    ancestor ``COUSIN_LEVELS`` up, that hold prose outside chrome (templates that print each section of a story in a
    box of its own, where the best box alone is one section); at least two, all in page order."""
    classes = best.get("class")
    ancestor = best.getparent()
    for _ in range(COUSIN_LEVELS - 1):
        if ancestor is None or ancestor.getparent() is None or ancestor.tag in KEPT_TAGS:
            break
        ancestor = ancestor.getparent()
    if not classes or ancestor is None:
        return kept
    depth = sum(1 for _ in best.iterancestors())
    shape = _NUMBERS.sub("", classes)
    cousins = {e for e in ancestor.iter(best.tag) if e in scores and _NUMBERS.sub("", e.get("class") or "") == shape
               and sum(1 for _ in e.iterancestors()) == depth
               and not is_chrome(e) and _link_density(e) < 0.25 and _mostly_prose(e)}
    if len(cousins) < 2:
        return kept
    chosen = set(kept) | cousins
    return [e for e in ancestor.iter() if e in chosen and not any(a in chosen for a in e.iterancestors())]


def _mostly_prose(element: etree._Element) -> bool:
    """Whether most of the element's text is in runs of prose (text nodes of ``PROSE_RUN_CHARS`` or more), not
    in the short lines of a header, a byline or a caption."""
    runs = [len(t.strip()) for t in element.itertext()]
    return sum(n for n in runs if n >= PROSE_RUN_CHARS) >= PROSE_SHARE * max(1, sum(runs))


def _prose(paragraph: etree._Element) -> bool:
    text = string_of(paragraph).strip()
    density = _link_density(paragraph)
    return (len(text) > 80 and density < 0.25) or (0 < len(text) <= 80 and density == 0 and text.endswith("."))


_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg"})
_WORDS = re.compile(r"\w+")


def chrome_words(root: etree._Element) -> Counter:
    """The words of the page's chrome (the outermost chrome elements of its ``<body>``), lower-cased, counted."""
    found: Counter = Counter()
    pending = [element for element in root.iterchildren("body")]
    while pending:
        for child in pending.pop():
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIPPED:
                continue
            if is_chrome(child):
                found.update(_WORDS.findall(string_of(child).lower()))
            else:
                pending.append(child)
    return found


def density_body(page: Page) -> Body | None:
    """The blocks of the story's containers, chrome left out, as text and Markdown; None without prose."""
    blocks = [block for container in story_containers(page.root) for block in tagged_blocks(container, is_chrome)]
    return Body(BLOCK_SEPARATOR.join(text for _, text in blocks), markdown_blocks(blocks)) if blocks else None
