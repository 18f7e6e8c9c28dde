"""The article body: the site's own containers, JSON-LD ``articleBody`` when whole, else a main-content extractor.

``Body`` carries the plain text (one block per paragraph, blocks separated by a blank line) and,
when the blocks' tags are known, the same as Markdown. One generic extractor is resiliparse's
main-content ``html2text`` (``resiliparse_body``); ``body_main`` weighs it against the story's
containers found by prose density (``body_density``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from broadsheet.extract.page import Page, names_test
from broadsheet.extract.sources import Source
from broadsheet.extract.xpath import nodes, string_of
from broadsheet.normalize.text import BLOCK_SEPARATOR, clean_text, markdown_blocks, tagged_blocks

WHOLE_BODY_MIN_CHARS = 400
"""An ``articleBody`` shorter than this is taken for a teaser, not the body."""
WHOLE_SHARE_OF_SHOWN = 0.4
"""An ``articleBody`` shorter than this share of the page's paragraph text is not the whole body."""
_TRUNCATED = re.compile(r"(?:\.\.\.|…|\[\.\.\.\]|\bmore\b)\s*$", re.IGNORECASE)
_LINES = re.compile(r"\s*\n\s*")
_ELLIPSIS = re.compile(r"(?:\.\.\.|…)\s*$")


@dataclass(frozen=True)
class Body:
    """An extracted body: plain text blocks, and Markdown when the source knows the blocks' kinds."""

    text: str
    markdown: str | None = None
    doubtful: bool = False
    """The generic extractors disagreed on this page's body (``body_main``): the record's quality says so."""


def text_body(text: str | None) -> Body | None:
    """A body from plain text whose lines are its blocks (JSON-LD, an extractor's output)."""
    blocks = [clean_text(line) for line in _LINES.split(text or "")]
    blocks = [b for b in blocks if b]
    return Body(BLOCK_SEPARATOR.join(blocks)) if blocks else None


@dataclass(frozen=True)
class Container(Source):
    """The site's body containers (an XPath, every match in document order) without what ``exclude``
    selects inside them (widgets, disclaimers, cards); text and Markdown from the same blocks."""

    xpath: str
    exclude: str | None = None

    def raw(self, page: Page) -> Iterable[Body | None]:
        """One body from all containers, or nothing when none matches or they hold no text."""
        roots = nodes(page.root, self.xpath)
        excluded: set = set()
        if self.exclude:
            for root in roots:
                excluded.update(nodes(root, self.exclude))
        skip = excluded.__contains__ if excluded else None
        blocks = [block for root in roots for block in tagged_blocks(root, skip)]
        yield Body(BLOCK_SEPARATOR.join(t for _, t in blocks), markdown_blocks(blocks)) if blocks else None

    def default_name(self) -> str:
        """``container``."""
        return "container"


def whole_article_body(page: Page) -> Body | None:
    """JSON-LD ``articleBody`` when it looks whole: long enough and not cut off with an ellipsis."""
    value = page.article_ld.get("articleBody")
    if isinstance(value, list):
        value = "\n".join(v for v in value if isinstance(v, str))
    if not isinstance(value, str) or len(value) < WHOLE_BODY_MIN_CHARS or _TRUNCATED.search(value):
        return None
    shown = sum(len(t) for t in nodes(page.root, "//article//p//text()") or nodes(page.root, "//p//text()"))
    if len(value) < WHOLE_SHARE_OF_SHOWN * shown:  # the page shows far more than the JSON-LD holds: a summary
        return None
    if "&" in value:  # escaped markup ("&lt;p&gt;") and entities, decoded once more by clean_text
        value = html.unescape(value)
    if "<" in value and ">" in value:  # some sites put HTML in it
        from lxml import html as lxml_html

        value = "\n".join(lxml_html.fromstring(value).itertext())
    return text_body(once(value))


def once(text: str) -> str:
    """The text once when it is one text printed twice (some sites' ``articleBody`` repeats the story)."""
    stripped = text.strip()
    half = len(stripped) // 2
    for cut in range(max(1, half - 2), half + 3):
        first = stripped[:cut].strip()
        if first and first == stripped[cut:].strip():
            return first
    return text


LONE_CHARACTER = re.compile(r">(\s*+[^\x00-\x7f\s]\s*+)<")
"""A text node of one non-ASCII character (not a space) between two tags (``<a>高知県</a>と<a>``, ``</b>、<b>``,
``</a> – <a>``): resiliparse's main-content extraction (2.0.1) drops such a node, spaces around it too, when its
character takes three UTF-8 bytes or more, gluing the words around it together (CJK particles and commas, dashes,
quotes). A word joiner after the character makes the node two characters, which resiliparse keeps; ``clean_text``
drops the joiner. 267 of the corpora's 883 pages hold such a node; the substitution costs 0.24 ms a corpus page
(possessive spaces: the indentation between tags is not backtracked into; 0.38 ms without), and none on an
all-ASCII page (not scanned)."""
WORD_JOINER = "\u2060"


def resiliparse_body(page: Page) -> Body | None:
    """The page's main content by resiliparse's extractor (boilerplate, navigation and lists out), the lone
    characters between tags that it would drop kept (``LONE_CHARACTER``)."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    markup = page.response.text
    if not markup.isascii():
        markup = LONE_CHARACTER.sub(r">\1" + WORD_JOINER + "<", markup)
    tree = HTMLTree.parse(markup)
    body = text_body(extract_plain_text(tree, main_content=True, alt_texts=False, links=False,
                                        list_bullets=False, noscript=False, form_fields=False))
    return trimmed(body) if body else None


_TAGGED = ("h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dt")
_HEAD = 10


def with_markdown(body: Body, page: Page) -> Body:
    """A plain-text body with its Markdown: each block takes the tag of the page's heading, list item, quote,
    preformatted block or term whose whole text it is (one walk in C; elements whose text starts
    differently from every block are passed over uncleaned; other blocks are paragraphs)."""
    blocks = body.text.split(BLOCK_SEPARATOR)
    heads = {block[:_HEAD] for block in blocks}
    tags: dict[str, str] = {}
    for element in page.root.iter(*_TAGGED):
        found = string_of(element).lstrip()
        if found[:_HEAD] in heads:
            tags.setdefault(clean_text(found), element.tag)
    return Body(body.text, markdown_blocks([(tags.get(block, "p"), block) for block in blocks]), body.doubtful)


PARAGRAPH_MIN_CHARS = 80
"""A block this long is prose; shorter blocks before the first and after the last such block are page chrome
(the headline, bylines, dates, share bars, "Read more" lists) unless they read as sentences."""
_SENTENCE_END = re.compile("[.!?\u3002\uff01\uff1f:\uff1a\"\u201d\u00bb)]$")


_CONSENT = re.compile(r"(?i)\b(?:we|this (?:web)?site|our (?:web)?site)\s+uses?\s+cookies\b"
                      r"|\bcookie\s+(?:policy|settings|preferences|notice|consent)\b|\buse of cookies\b"
                      r"|\b(?:accept|consent to)\s+(?:all\s+|the\s+|our\s+)?cookies\b")
"""A cookie or consent notice ("We use cookies ... read our Cookie Policy", "By choosing I Accept, you consent to
our use of cookies"), which resiliparse keeps when the page opens or closes with it."""
CONSENT_MAX_CHARS = 600


def _consent_notice(block: str) -> bool:
    return len(block) <= CONSENT_MAX_CHARS and bool(_CONSENT.search(block))


def trimmed(body: Body) -> Body:
    """The body without the cookie notices and the short, non-sentence blocks that lead or trail its prose."""
    blocks = body.text.split(BLOCK_SEPARATOR)
    while blocks and _consent_notice(blocks[0]):
        blocks.pop(0)
    while blocks and _consent_notice(blocks[-1]):
        blocks.pop()
    prose = [i for i, b in enumerate(blocks) if len(b) >= PARAGRAPH_MIN_CHARS]
    if not prose:
        return Body(BLOCK_SEPARATOR.join(blocks)) if blocks else body
    whole = [i for i in prose if not _ELLIPSIS.search(blocks[i])]  # a teaser's summary ends "..."
    first, last = prose[0], (whole or prose)[-1]
    while first > 0 and reads_as_sentence(blocks[first - 1]):
        first -= 1
    while last + 1 < len(blocks) and reads_as_sentence(blocks[last + 1]):
        last += 1
    return Body(BLOCK_SEPARATOR.join(blocks[first:last + 1]))


SENTENCE_MIN_CHARS = 30
"""A block ending as a sentence ends reads as one from this length on (shorter: a label, a kicker, a date)."""


def reads_as_sentence(block: str) -> bool:
    """Whether a block reads as a sentence: ``SENTENCE_MIN_CHARS`` or longer and ending as a sentence ends."""
    return len(block) >= SENTENCE_MIN_CHARS and bool(_SENTENCE_END.search(block))


_H1 = etree.XPath("//h1", smart_strings=False)


def without_headline(body: Body, page: Page) -> Body:
    """The body without the page's headline (an ``<h1>``, JSON-LD ``headline``, ``og:title``) among the blocks
    before its first prose paragraph: main-content extractors keep it, a body does not repeat it."""
    blocks = body.text.split(BLOCK_SEPARATOR)
    titles = [string_of(h1) for h1 in _H1(page.root)] + page.metas.get("og:title", [])
    titles.append(page.article_ld.get("headline"))
    headlines = {clean_text(t).casefold() for t in titles if isinstance(t, str)}
    dropped = set()
    for i, block in enumerate(blocks):
        if block.casefold() in headlines:
            dropped.add(i)
        elif len(block) >= PARAGRAPH_MIN_CHARS:
            break
    return _without(body, dropped)


def _without(body: Body, dropped: set[int]) -> Body:
    """The body without the blocks at the ``dropped`` indexes (itself when none, or when that is every block)."""
    blocks = body.text.split(BLOCK_SEPARATOR)
    if not dropped or len(dropped) == len(blocks):
        return body
    kept = [b for i, b in enumerate(blocks) if i not in dropped]
    markdown = body.markdown.split(BLOCK_SEPARATOR) if body.markdown is not None else None
    if markdown is not None and len(markdown) == len(blocks):
        markdown = [m for i, m in enumerate(markdown) if i not in dropped]
    return Body(BLOCK_SEPARATOR.join(kept), BLOCK_SEPARATOR.join(markdown) if markdown and len(markdown) == len(kept)
                else None, body.doubtful)


CAPTION = re.compile(r"(?<!no)(?<!no[-_])(?:caption|credit|legende|bildunterschrift|bildtext|"
                     r"(?:photo|image|img|picture|foto|bild)[-_]*desc)")
"""Classes and ids (lower-cased) of image captions and credits written outside ``<figcaption>`` (not ``no_caption``),
and of an image's description (``detail-img__description``, ``photo-desc``)."""
caption_names = names_test(CAPTION)
"""Whether an element's lower-cased ``"class #id"`` names (``Page.classed``'s) say caption."""


SCREEN_READER = re.compile(r"visually-?hidden|sr-only|screen-?reader|offscreen|a11y")
"""Classes and ids of text shown only to screen readers ("Continue reading the main story" skip links)."""
screen_reader_names = names_test(SCREEN_READER)
SCREEN_READER_MAX_CHARS = 80
"""A screen reader's label is this short at most; a longer hidden text may be the story's own."""


def without_screen_reader_labels(body: Body, page: Page) -> Body:
    """The body without the blocks that are the whole text of a short label only screen readers are shown
    (``<a class="visually-hidden skip-to-text-link">Continue reading the main story</a>``): resiliparse keeps it."""
    labels = {text for text in _texts_named(page, screen_reader_names) if len(text) <= SCREEN_READER_MAX_CHARS}
    return _without(body, {i for i, block in enumerate(body.text.split(BLOCK_SEPARATOR)) if block in labels})


def _texts_named(page: Page, says: Callable[[str], bool]) -> set[str]:
    """The clean whole texts of the page's elements whose names (``Page.classed``'s) ``says`` holds for."""
    return {clean_text(string_of(element)) for element, names in page.classed if says(names)}


def without_captions(body: Body, page: Page) -> Body:
    """The body without the blocks after its first prose paragraph that are the whole text of an element named
    caption/credit/legend: main-content extractors keep image captions, the issue's body leaves them out (one
    before the first paragraph is kept: some corpora's bodies open with the lead image's caption)."""
    captions = _texts_named(page, caption_names)
    blocks = body.text.split(BLOCK_SEPARATOR)
    first = next((i for i, block in enumerate(blocks) if len(block) >= PARAGRAPH_MIN_CHARS), 0)
    return _without(body, {i for i, block in enumerate(blocks) if i > first and block in captions})
