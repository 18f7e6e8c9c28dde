"""The body a Next.js App Router page holds only in its flight data: a story that React renders in the browser
is not in the document's tree but streamed in ``self.__next_f.push([1, "..."])`` scripts, as a text row
(``<id>:T<length in hex>,<text>``) of its HTML. Framework markup, not a site's: no rule names a domain."""

from __future__ import annotations

import json
import re

from lxml import etree

from broadsheet.extract.body import WHOLE_BODY_MIN_CHARS, Body, caption_names
from broadsheet.extract.page import Page
from broadsheet.normalize.text import BLOCK_SEPARATOR, markdown_blocks, tagged_blocks

_PUSHES = etree.XPath('//script[starts-with(normalize-space(), "self.__next_f.push(")]/text()', smart_strings=False)
_PUSH = re.compile(r"^\s*self\.__next_f\.push\((.*)\)\s*;?\s*$", re.DOTALL)
_TEXT_ROW = re.compile(rb"[0-9a-f]+:T([0-9a-f]+),")
"""A text row's head; its length counts the UTF-8 bytes that follow."""
_PLACEHOLDER = re.compile(r"^(?:\$\$\w+\$\$|\{\{\s*[\w.]+\s*\}\})$")
"""A template's unfilled slot (``$$ARTICLEAD$$``, ``{{ ad }}``): where the site puts an ad, not text."""


def flight_stream(page: Page) -> bytes:
    """The page's flight data: the strings its ``self.__next_f.push([1, ...])`` scripts add, joined, as UTF-8."""
    parts = []
    for script in _PUSHES(page.root):
        match = _PUSH.match(script)
        try:
            pushed = json.loads(match.group(1)) if match else None
        except ValueError:
            continue
        if isinstance(pushed, list) and len(pushed) == 2 and pushed[0] == 1 and isinstance(pushed[1], str):
            parts.append(pushed[1])
    return "".join(parts).encode("utf-8", "surrogatepass")


def _caption(element: etree._Element) -> bool:
    return element.tag == "figcaption" or caption_names(f'{element.get("class") or ""} #{element.get("id") or ""}'
                                                         .lower())


def flight_body(page: Page) -> Body | None:
    """The longest HTML text row of the flight data with paragraphs (at least ``WHOLE_BODY_MIN_CHARS`` of text),
    as a body without image captions and a template's unfilled slots; None on a page without one."""
    stream, best = flight_stream(page), None
    for row in _TEXT_ROW.finditer(stream):
        text = stream[row.end():row.end() + int(row.group(1), 16)].decode("utf-8", "replace")
        if "<p" not in text:
            continue
        fragment = etree.fromstring(f"<html><body>{text}</body></html>", etree.HTMLParser())
        blocks = [(tag, block) for tag, block in tagged_blocks(fragment, _caption) if not _PLACEHOLDER.match(block)]
        size = sum(len(block) for _, block in blocks)
        if size >= WHOLE_BODY_MIN_CHARS and (best is None or size > best[0]):
            best = size, blocks
    if best is None:
        return None
    return Body(BLOCK_SEPARATOR.join(block for _, block in best[1]), markdown_blocks(best[1]))
