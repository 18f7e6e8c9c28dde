"""JSON-LD of every shape, and the one object that describes the page's article.

Pages nest their JSON-LD in many ways: one object, a list, an ``@graph``, an article inside a
``WebPage``'s ``mainEntity``, several articles (the story and the related ones). All objects are
flattened into one list; the article is the one whose URL is this page's, else the richest.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from lxml import etree

from broadsheet.extract.xpath import nodes

logger = logging.getLogger(__name__)

ARTICLE_TYPE = re.compile(r"(?:Article|BlogPosting|Report|Posting)$")
"""Schema.org types of articles: NewsArticle, ReportageNewsArticle, BlogPosting, LiveBlogPosting, Report..."""
NESTED = ("mainEntity", "mainEntityOfPage", "hasPart", "itemListElement", "subjectOf")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")
"""What old templates wrap a script's JSON in: ``<!-- -->``, ``<![CDATA[ ]]>`` (also as ``//`` comments)."""


def _loads(text: str, url: str) -> Any:
    text = _WRAPPER.sub("", text.strip()).strip()
    try:
        return json.loads(text)
    except ValueError:
        try:  # raw newlines and tabs inside strings are the usual fault
            return json.loads(_CONTROL.sub(" ", text.replace("\n", " ").replace("\t", " ")), strict=False)
        except ValueError:
            logger.debug("Unparseable JSON-LD on %(url)s", {"url": url})
            return None


def json_ld_objects(root: etree._Element, url: str = "") -> list[dict[str, Any]]:
    """Every JSON-LD object of the page in document order: top-level lists, ``@graph`` members and
    entities nested under ``mainEntity`` and kin flattened in."""
    objects: list[dict[str, Any]] = []

    def visit(value: Any, depth: int) -> None:
        if isinstance(value, list):
            for entry in value:
                visit(entry, depth)
        elif isinstance(value, dict) and depth < 4:
            if "@type" in value or "headline" in value:
                objects.append(value)
            visit(value.get("@graph"), depth + 1)
            for key in NESTED:
                nested = value.get(key)
                if isinstance(nested, (dict, list)):
                    visit(nested, depth + 1)

    for text in nodes(root, '//script[contains(@type, "ld+json")]/text()'):
        visit(_loads(text, url), 0)
    return objects


def types_of(entry: dict[str, Any]) -> list[str]:
    """The ``@type`` values of an object, as a list of plain names (``schema:NewsArticle`` -> NewsArticle)."""
    value = entry.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if isinstance(v, str)]


def is_article(entry: dict[str, Any]) -> bool:
    """Whether the object is an article of some schema.org type."""
    return any(ARTICLE_TYPE.search(t) for t in types_of(entry))


def _urls(entry: dict[str, Any]) -> set[str]:
    found = set()
    for key in ("url", "@id", "mainEntityOfPage"):
        value = entry.get(key)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str):
            found.add(_bare(value))
    return found


def _bare(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0].rstrip("/").split("://", 1)[-1]


def choose_article(objects: list[dict[str, Any]], url: str, canonical: str | None) -> tuple[dict[str, Any], int]:
    """The article object describing this page, and how many other article objects disagree with it.

    Preference: an article whose ``url``/``@id``/``mainEntityOfPage`` is the page's (or its canonical)
    URL; else the one with the most article fields. A ``WebPage`` with a headline is the last resort.
    """
    articles = [o for o in objects if is_article(o)]
    if not articles:
        pages = [o for o in objects if o.get("headline")]
        return (pages[0] if pages else {}), 0
    here = {_bare(url)} | ({_bare(canonical)} if canonical else set())
    matching = [a for a in articles if _urls(a) & here]
    pool = matching or articles
    chosen = max(pool, key=lambda a: (bool(a.get("headline")), bool(a.get("articleBody")), bool(a.get("datePublished")),
                                      bool(a.get("author"))))
    headline = chosen.get("headline")
    conflicts = sum(1 for a in articles if a is not chosen and a.get("headline") and a.get("headline") != headline)
    return chosen, conflicts
