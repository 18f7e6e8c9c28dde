"""``Page``: one parsed response and the structured data every field source reads from it.

The page is parsed once (``parsed``: the lxml tree that ``response.selector`` then serves too); JSON-LD,
meta tags, embedded page state and the article's JSON-LD object are computed on first use and kept, so
any number of sources share one look at each.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from typing import Any

from lxml import etree
from parsel.selector import create_root_node
from scrapy.http import Response, TextResponse
from scrapy.selector import Selector
from scrapy.utils.response import get_base_url

from broadsheet.discovery import ANNOUNCED
from broadsheet.extract.jsonld import choose_article, json_ld_objects

HINTS_META_KEY = ANNOUNCED  # what discovery says about the URL: a feed's title, dates, language
"""``request.meta`` key holding values others already know about the URL (a feed's title, date):
a dict of field name to raw value, read by the ``Hint`` source."""


# smart strings: their parents are read
_SHORT_TEXTS = etree.XPath("//body/descendant::text()[string-length() < 160][normalize-space()]")


def names_test(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """Whether ``pattern`` is found in an element's names (``Page.classed``'s): searched once per distinct names,
    which templates repeat on many elements. One cache per pattern, keyed by the names alone: a key holding the
    pattern too hashed the pattern again on every element (0.36 s of the 871-page crawl)."""

    @lru_cache(maxsize=8192)
    def says(names: str) -> bool:
        return pattern.search(names) is not None

    return says


def parsed(response: TextResponse) -> etree._Element:
    """The response's one lxml tree, parsed as Scrapy's selector parses it but with lxml's own elements, and
    served by ``response.selector`` from then on (css/xpath share it). ``lxml.html``'s elements, which Scrapy's
    selector builds, cost a Python class look-up each time an element reaches Python: about a tenth of the
    extraction's time on the corpora. A response whose selector is already built keeps its tree."""
    if response._cached_selector is None:
        response._cached_selector = Selector(root=tree_of(response, etree.HTMLParser), type="html")
    return response.selector.root


def tree_of(response: TextResponse, parser: type[etree.HTMLParser]) -> etree._Element:
    """The response's text parsed as Scrapy's selector parses it, by ``parser`` (lxml's, or ``lxml.html``'s
    for a library that reads only its elements)."""
    body = response.body
    ends = body.strip()
    if response.encoding == "utf-8" and ends[:1] < b"\x80" and ends[-1:] < b"\x80":
        # parsel's bytes path: the UTF-8 body as it is (invalid bytes still decoded with replacement), not
        # the decoded text encoded again: the same tree without a copy of the page (0.07 ms of a mitrade
        # page). Not when the body starts or ends with a non-ASCII character: text.strip() strips Unicode
        # white space and a byte-order mark, bytes.strip() does not.
        return create_root_node("", parser, base_url=get_base_url(response), body=body)
    return create_root_node(response.text, parser, base_url=get_base_url(response))


_JSON_LD: weakref.WeakKeyDictionary[Response, list[dict[str, Any]]] = weakref.WeakKeyDictionary()


def json_ld_of(response: TextResponse) -> list[dict[str, Any]]:
    """Every JSON-LD object of the response's page (``json_ld_objects``), read once: the article check and the
    fields share it."""
    if response not in _JSON_LD:
        _JSON_LD[response] = json_ld_objects(parsed(response), response.url)
    return _JSON_LD[response]


class Marks:
    """What one walk of a page finds for the article check, the canonical URL, the bylines, the metas and the
    class-based heuristics. A Python walk that reads each element's attribute names once is 2.5x cheaper than the
    three XPath scans it replaces (libxml2 tests attribute predicates slowly): 1.10 to 0.44 ms a corpus page."""

    def __init__(self, root: etree._Element):
        self.author_links: list[etree._Element] = []
        """Elements with ``rel="author"``, in page order."""
        self.canonical_hrefs: list[str] = []
        """Every ``<link rel=canonical>`` href as written (relative or absolute), in page order."""
        self.og_types: list[str] = []
        """Every ``og:type`` meta's content, in page order."""
        self.article_marked = False
        """Whether an ``article:*`` meta or a microdata item typed as an Article is on the page."""
        self.meta_like: list[etree._Element] = []
        """Metas with ``@content`` or ``@value`` and microdata elements (``@itemprop``), in page order."""
        self.classed: list[tuple[etree._Element, str]] = []
        """The elements inside ``<body>`` with a ``class`` or an ``id``, each with the two lower-cased
        (``"story lead #intro"``), in page order."""
        self._walk((root,), False)
        for child in root.iterchildren(etree.Element):
            self._walk((child,), False)
            self._walk(child.iterdescendants(etree.Element), child.tag == "body")

    def _walk(self, elements: Iterable[etree._Element], in_body: bool) -> None:
        """Read the marks of ``elements`` (``in_body``: inside ``<body>``). One loop, its lists' appends bound once,
        where a method call per element cost 0.05 of the walk's 0.65 s over the 870 corpus pages."""
        author_link, canonical_href = self.author_links.append, self.canonical_hrefs.append
        og_type, meta_like, classed = self.og_types.append, self.meta_like.append, self.classed.append
        article_marked = self.article_marked
        for element in elements:
            names = element.keys()
            if not names:
                continue
            tag, get = element.tag, element.get
            if "rel" in names and get("rel") == "author":
                author_link(element)
            if tag == "meta":
                prop = get("property") or ""
                if prop == "og:type" and "content" in names:
                    og_type(get("content"))
                article_marked = article_marked or prop.startswith("article:")
                if "content" in names or "value" in names or "itemprop" in names:
                    meta_like(element)
            elif "itemprop" in names:
                meta_like(element)
            if tag == "link" and "href" in names and get("rel") == "canonical":
                canonical_href(get("href"))
            if "itemtype" in names and "Article" in get("itemtype"):
                article_marked = True
            if in_body and ("class" in names or "id" in names):
                classed((element, f'{get("class") or ""} #{get("id") or ""}'.lower()))
        self.article_marked = article_marked


_MARKS: weakref.WeakKeyDictionary[Response, Marks] = weakref.WeakKeyDictionary()


def marks_of(response: TextResponse) -> Marks:
    """The response's ``Marks``, read once: the article check and the fields share them."""
    if response not in _MARKS:
        _MARKS[response] = Marks(parsed(response))
    return _MARKS[response]


_MARK_XPATHS = {
    "meta_like": etree.XPath("//*[@itemprop] | //meta[@content or @value]"),
    "canonical_hrefs": etree.XPath("//link[@href][@rel='canonical']/@href", smart_strings=False),
    "author_links": etree.XPath("//*[@rel='author']"),
}


def marked(response: TextResponse, name: str) -> list[Any]:
    """One of the ``Marks``' lists (``meta_like``, ``canonical_hrefs`` or ``author_links``): the walk's when the
    page has been walked (the base's article check walks it), else what the one XPath finding the same elements
    gives. A site spider with its own article check reads three lists of a page in 0.02 ms instead of walking
    it in 0.1 ms (mitrade's pages)."""
    if response in _MARKS:
        return getattr(_MARKS[response], name)
    return _MARK_XPATHS[name](parsed(response))


class Page:
    """A response with its lazily computed structured data.

    ``state`` is the site's embedded page state (a callable of the response, given by the spider;
    ``{}`` when the site has none).
    """

    def __init__(self, response: Response, state: Callable[[Response], Any] | None = None):
        self.response = response
        self.url: str = response.url
        self.root: etree._Element = parsed(response)
        self._state = state

    @cached_property
    def json_ld(self) -> list[dict[str, Any]]:
        """Every JSON-LD object of the page (``@graph`` members, lists and nested entities flattened)."""
        return json_ld_of(self.response)

    @cached_property
    def article_ld(self) -> dict[str, Any]:
        """The JSON-LD object describing this page's article, or ``{}``."""
        article, self.json_ld_conflicts = choose_article(self.json_ld, self.url, self.canonical_hint)
        return article

    json_ld_conflicts: int = 0
    """How many other article-like JSON-LD objects disagreed with the chosen one's headline."""

    @cached_property
    def title(self) -> str | None:
        """The ``<title>``'s text as written, or None: what the headline, date and site-name rules read."""
        return self.root.findtext(".//title")

    @cached_property
    def canonical_hrefs(self) -> list[str]:
        """Every ``<link rel=canonical>`` href as written (relative or absolute), in page order."""
        return marked(self.response, "canonical_hrefs")

    @cached_property
    def canonical_hint(self) -> str | None:
        """The first ``<link rel=canonical>`` href, stripped, or None."""
        return self.canonical_hrefs[0].strip() if self.canonical_hrefs else None

    @cached_property
    def meta_like(self) -> list[etree._Element]:
        """Metas with ``@content`` or ``@value`` and microdata elements (``@itemprop``), in page order."""
        return marked(self.response, "meta_like")

    @cached_property
    def metas(self) -> dict[str, list[str]]:
        """Every ``<meta>``-like value by lower-cased ``name``/``property``/``itemprop``/``http-equiv``,
        wherever the parser put it (head or body), from ``@content`` or ``@value``, in page order."""
        found: dict[str, list[str]] = {}
        for element in self.meta_like:
            value = element.get("content")
            if value is None and element.tag == "meta":
                value = element.get("value")
            elif value is None:  # microdata without @content: an element of ``itemprops``
                continue
            value = (value or "").strip()
            if not value:
                continue
            for attribute in ("name", "property", "itemprop", "http-equiv"):
                key = element.get(attribute)
                if key:
                    for part in key.split():
                        found.setdefault(part.lower(), []).append(value)
        return found

    @cached_property
    def itemprops(self) -> dict[str, list[etree._Element]]:
        """Microdata elements without ``@content`` (those are in ``metas``) by their ``itemprop``, in page order:
        one walk that every microdata source shares."""
        found: dict[str, list[etree._Element]] = {}
        for element in self.meta_like:
            if element.get("content") is None and element.get("itemprop") is not None:
                found.setdefault(element.get("itemprop"), []).append(element)
        return found

    @property
    def classed(self) -> list[tuple[etree._Element, str]]:
        """Every element with a ``class`` (or ``id``), with the two lower-cased: one walk that the
        class-based heuristics (bylines, date blocks) share instead of one XPath scan each; the names are
        written by the walk that finds the elements, which has their attributes at hand."""
        return marks_of(self.response).classed

    @cached_property
    def short_texts(self) -> list[str]:
        """The body's short visible text nodes (labels, bylines, dates), in page order."""
        return [t for t in _SHORT_TEXTS(self.root)
                if t.getparent() is not None and t.getparent().tag not in ("script", "style", "noscript")]

    @cached_property
    def state(self) -> Any:
        """The site's embedded page state, as the spider reads it (``{}`` without one)."""
        return self._state(self.response) if self._state else {}

    @cached_property
    def hints(self) -> dict[str, Any]:
        """Values given with the request (``request.meta["broadsheet_announced"]``), e.g. from a feed."""
        request = getattr(self.response, "request", None)
        meta = request.meta if request is not None else {}
        hints = meta.get(HINTS_META_KEY) if isinstance(meta, dict) else None
        return hints if isinstance(hints, dict) else {}
