"""Structured data embedded in pages: JSON-LD, Next.js page state, meta tags.

Spiders read these first and fall back to selectors only for what they do not carry.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lxml import etree

from broadsheet.news.xpath import first, nodes

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
                           "BlogPosting", "LiveBlogPosting", "OpinionNewsArticle", "Report"})


def _loads(text: str | None, what: str, url: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        logger.warning("Unparseable %(what)s on %(url)s", {"what": what, "url": url})
        return None


def json_ld_objects(root: etree._Element, url: str = "") -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, ``@graph`` members and top-level lists flattened."""
    objects: list[dict[str, Any]] = []
    for text in nodes(root, '//script[@type="application/ld+json"]/text()'):
        data = _loads(text, "JSON-LD", url)
        stack = data if isinstance(data, list) else [data]
        for entry in stack:
            if isinstance(entry, dict):
                objects.append(entry)
                graph = entry.get("@graph")
                if isinstance(graph, list):
                    objects.extend(g for g in graph if isinstance(g, dict))
    return objects


def json_ld_article(root: etree._Element, url: str = "") -> dict[str, Any]:
    """The page's first JSON-LD article object (NewsArticle and kin), or an empty dict."""
    for entry in json_ld_objects(root, url):
        types = entry.get("@type")
        types = set(types) if isinstance(types, list) else {types}
        if types & ARTICLE_TYPES:
            return entry
    return {}


def next_data(root: etree._Element, url: str = "") -> dict[str, Any]:
    """The Next.js page state (``<script id="__NEXT_DATA__">``), or an empty dict."""
    data = _loads(first(root, '//script[@id="__NEXT_DATA__"]/text()'), "__NEXT_DATA__", url)
    return data if isinstance(data, dict) else {}


def dig(data: Any, *path: str | int) -> Any:
    """``data[p0][p1]...``, or None as soon as a step is missing."""
    for step in path:
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and -len(data) <= step < len(data):
            data = data[step]
        else:
            return None
    return data


def meta(root: etree._Element, *names: str) -> str | None:
    """The first non-empty ``<meta>`` content among ``name``/``property`` values ``names``."""
    contents = dict(_meta_pairs(root))
    for name in names:
        value = contents.get(name)
        if value and value.strip():
            return value.strip()
    return None


def _meta_pairs(root: etree._Element) -> list[tuple[str, str]]:
    """(name or property, content) of every ``<meta>`` of the head, first one per name winning."""
    pairs = []
    for element in nodes(root, "/html/head/meta[@content]"):
        key = element.get("name") or element.get("property")
        if key:
            pairs.append((key, element.get("content")))
    return list(reversed(pairs))


def first_image(value: Any) -> str | None:
    """An image URL from a JSON-LD ``image`` value (string, ImageObject, or a list of them)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        return first_image(value.get("url"))
    if isinstance(value, list):
        for entry in value:
            found = first_image(entry)
            if found:
                return found
    return None
