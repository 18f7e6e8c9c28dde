"""Plain text from HTML: whitespace and entity normalisation, and article bodies as blocks.

A body is one block per paragraph, heading, list item, quote or preformatted block, blocks
separated by one blank line. Scripts, styles and any element the caller excludes (a symbol
widget, a disclaimer, cards) contribute nothing.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

from lxml import etree

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # all non-ASCII
BLOCK_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "dt", "dd",
    "div", "section", "article", "ul", "ol", "dl", "table", "tr", "td", "th", "figure", "header",
    "footer", "aside", "main", "hr", "caption",
})
SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "button",
                          "form", "select", "input", "img", "video", "audio", "picture", "canvas"})
BLOCK_SEPARATOR = "\n\n"


def clean_text(text: str | None) -> str:
    """Text with entities decoded, NFC-normalised, invisible characters dropped, and every run
    of whitespace (non-breaking and typographic spaces included) made one space, stripped."""
    if not text:
        return ""
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():  # ASCII is NFC already and holds no invisible character
        text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return " ".join(text.split())  # str.split() splits at every Unicode space, U+00A0 and U+3000 too


_TITLE_SEPARATOR = re.compile(r"(?:^|\s+)[|\-–—•:»·](?:\s+|$)|\s*｜\s*|(?<=[^\x00-\x7f])_|_(?=[^\x00-\x7f])")
"""A spaced ``|``, ``-``, ``–``, ``—``, ``•``, ``:``, ``»`` or ``·``; a full-width ``｜``; an ``_`` beside a letter of
another script than Latin ("找对象_智能_好奇心日报"), not inside a Latin name ("snake_case")."""


def title_parts(title: str | None) -> list[str]:
    """A page title's parts, cleaned, split at its separators ("Story - 07.12.2017 | Site": three parts)."""
    return [part for part in _TITLE_SEPARATOR.split(clean_text(title)) if part]


def clean_or_none(text: str | None) -> str | None:
    """``clean_text``, or None when nothing is left."""
    return clean_text(text) or None


def html_blocks(root: etree._Element, skip: Callable[[etree._Element], bool] | None = None) -> list[str]:
    """The text blocks under ``root`` in document order, cleaned; empty blocks dropped.

    ``skip(element)`` is asked once per element; True drops the element and its children (its
    tail text, which belongs to the parent, stays).
    """
    return [text for _, text in tagged_blocks(root, skip)]


def tagged_blocks(root: etree._Element, skip: Callable[[etree._Element], bool] | None = None) -> list[tuple[str, str]]:
    """``html_blocks`` with the tag of the block element each text belongs to (``p``, ``h2``, ``li``)."""
    blocks: list[tuple[str, str]] = []
    buffer: list[str] = []
    stack: list[str] = ["div"]

    def flush() -> None:
        if not buffer:
            return
        text = clean_text("".join(buffer))
        if text:
            blocks.append((stack[-1], text))
        buffer.clear()

    def walk(element: etree._Element) -> None:
        tag = element.tag
        if not isinstance(tag, str):  # comments and processing instructions
            return
        if tag in SKIPPED_TAGS or (skip is not None and skip(element)):
            return
        is_block = tag in BLOCK_TAGS
        if is_block:
            flush()
            stack.append(tag)
        if tag == "br":
            buffer.append(" ")
        if element.text:
            buffer.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                buffer.append(child.tail)
        if is_block:
            flush()
            stack.pop()

    walk(root)
    flush()
    return blocks


_MARKDOWN_PREFIX = {"h1": "# ", "h2": "## ", "h3": "### ", "h4": "#### ", "h5": "##### ", "h6": "###### ",
                    "li": "- ", "blockquote": "> ", "dt": "**", "figcaption": "*"}
_MARKDOWN_SUFFIX = {"dt": "**", "figcaption": "*"}


def markdown_blocks(blocks: list[tuple[str, str]]) -> str:
    """Tagged blocks as Markdown: headings, list items, quotes and code kept; one blank line between blocks."""
    out = []
    for tag, text in blocks:
        if tag == "pre":
            out.append(f"```\n{text}\n```")
        else:
            out.append(_MARKDOWN_PREFIX.get(tag, "") + text + _MARKDOWN_SUFFIX.get(tag, ""))
    return BLOCK_SEPARATOR.join(out)

