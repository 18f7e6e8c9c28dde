"""Author sources the base reads beside structured data and metas: bylines printed on the page.

``byline_elements`` reads ``rel=author`` links and elements whose class says byline, one byline
at a time (the story's, not every related card's); ``labelled_byline`` reads names after a
"By" label in the text.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from broadsheet.extract.dates import off_story
from broadsheet.extract.page import Page, marked
from broadsheet.normalize.authors import BY_LABELS
from broadsheet.normalize.text import clean_text

_LABELLED_BYLINE = re.compile(r"^\s*(?:By|BY|(?:" + "|".join(BY_LABELS) + r") by)\s+"
                              r"([A-Z][\w'.-]+(?:\s+(?:[A-Z][\w'.-]+|and|&|de|van|von))*)"
                              r"|(?:作者|记者)\s*[:：/]?\s*([^\s|，,（()：:<]{2,12}(?:[、，,\s]+[^\s|，,（()：:<]{2,4})*)")
_BARE_BY = frozenset({"by", "by:", "written by", "posted by", "von", "por", "par"})


def labelled_byline(page: Page) -> list[str] | None:
    """Names after a byline label in the page's text ("By Jane Doe and John Roe", "Written by Ann Lee in
    Software on ...", "作者：王建宏 张文攀"),
    or in the element after a bare "By" / "Written by" (the name's link); not in a picture's caption, whose
    "by" credits its painter or photographer ("Portrait by Gottfried Lindauer")."""
    for found in page.short_texts:
        match = _LABELLED_BYLINE.search(found)
        bare = not match and found.strip().lower() in _BARE_BY
        if (match or bare) and _in_caption(found.getparent()):  # only the texts that name someone: few
            continue
        if match and match.group(1):
            return [match.group(1)]
        if match and match.group(2):
            return [n for n in re.split(r"[、，,\s]+", match.group(2)) if n]
        if bare:
            parent = found.getparent()
            after = parent.getnext() if found.is_tail else (parent[0] if len(parent) else None)
            name = clean_text(" ".join(after.itertext())) if isinstance(getattr(after, "tag", None), str) else ""
            if name:
                return [name]
    return None


def _in_caption(element: Any) -> bool:
    """Whether ``element`` sits in a ``<figure>`` or an element whose class says caption."""
    return any(a.tag in ("figure", "figcaption") or "caption" in (a.get("class") or "").lower()
               for a in (element, *element.iterancestors()))


BYLINE_CLASS = re.compile(r"(?:^|[\s_-])byline(?:$|[\s_-])|author-?_?name|authorname|byline__name|author__name"
                          r"|(?:^|\s)(?![\w-]*comment)[\w-]*(?:author|writer)s?(?:[_-]*(?:link|list|text|item))?(?=$|\s)")
"""Classes of elements that print the byline: ``byline``, ``author-name``, ``byline__name``, and those whose
last word is ``author`` or ``writer`` (``article__author``, ``post-author``, ``authorText``, ``writer``), a
commenter's left out (``comment-author``); not an author's box, bio or picture (``author-bio``)."""


_BYLINES: weakref.WeakKeyDictionary[Page, list[list[str]]] = weakref.WeakKeyDictionary()


def byline_elements(page: Page) -> Iterator[list[str]]:
    """Bylines in turn, the story's first: the ``rel=author`` links that sit together (one byline naming
    several people), then each element whose class says byline or author name (and, after its text,
    the names its links to author pages give, where the text around them is no name); those inside
    related cards, comments or footers left out. Read once per page (authors and organisations share it)."""
    if page not in _BYLINES:
        _BYLINES[page] = list(_bylines(page))
    return iter(_BYLINES[page])


def bylines_read(page: Page) -> Iterator[list[str]]:
    """The bylines the authors were read from, when they were (the organisations printed in them, as in
    "Julius Young, Fox News"), without reading the page's elements again."""
    return iter(_BYLINES.get(page, ()))


def _bylines(page: Page) -> Iterator[list[str]]:
    links = [e for e in marked(page.response, "author_links") if not off_story(e)]
    while links:
        box = links[0].getparent()
        box = box.getparent() if box is not None and box.getparent() is not None else box
        group = [e for e in links if box in e.iterancestors()]
        yield [_text_of(e) for e in group]
        links = [e for e in links if e not in group]
    seen: set[Any] = set()
    for element, names in page.classed:
        if _byline_names(names) and not seen.intersection(element.iterancestors()):
            seen.add(element)
            if not off_story(element):
                yield [_text_of(element)]
                links = list(dict.fromkeys(
                    text for link in element.iter("a") if _AUTHOR_PAGE.search(link.get("href", ""))
                    and len((text := clean_text(_text_of(link))).split()) >= 2))  # a name, not "Bio"
                if links:
                    yield links  # "<a>Name</a> / TNN / Updated: Oct 9, 2019": the names are its links


@lru_cache(maxsize=4096)
def _byline_names(names: str) -> bool:
    """Whether an element's class (``Page.classed``'s names before `` #``) says byline: once per distinct class."""
    classes = names.split(" #", 1)[0]
    # every alternative of the pattern holds one of these words: most names are refused without the regex,
    # whose leading alternation it tries at every position
    return ("byline" in classes or "author" in classes or "writer" in classes) and bool(BYLINE_CLASS.search(classes))


_PERSON_PAGE = re.compile(r"/(?:authors?|profiles?|editors|reporters?|journalists?|columnists?)/([^/?#]+)/?(?:$|[?#])")
"""Links to one person's page (``/author/<name>``, ``/about/editors/jon-fingas/``), not to a list of them."""


def author_page_link(page: Page) -> list[str] | None:
    """The name of the first link to that person's own page on the site, outside menus and lists of links,
    related cards, comments and footers (``<a href="/profile/teresa-newsome-1910837">Teresa Newsome</a>``:
    every word of the name in the page's address; or, the page's only link to a person's page, a capitalised
    name of two to four words: ``/author/miserableshitehawk``, Chris Thompson): a byline printed with no class or
    label that says so."""
    found = [(link, match) for link in page.root.iter("a") if (match := _PERSON_PAGE.search(link.get("href") or ""))]
    targets = {link.get("href") for link, _ in found}
    for link, match in found:
        name = clean_text(_text_of(link))
        words = name.split()
        if 2 <= len(words) <= 4 and all(w.isalpha() for w in words) \
                and (all(w.casefold() in match.group(1).casefold() for w in words)
                     or (len(targets) == 1 and all(w[0].isupper() for w in words))) \
                and not any(a.tag in ("nav", "li") for a in link.iterancestors()) and not off_story(link):
            return [name]
    return None


_AUTHOR_PAGE = re.compile(r"(?i)author|reporter|journalist|columnist|/by/|/people/|/staff/|/profiles?/")
"""Links to a person's page on the site (``/toireporter/author-Saibal-Dasgupta-13399.cms``)."""


def _text_of(element: Any) -> str:
    return " ".join(element.itertext())


ORGANISATION_TYPE = re.compile(r"Organi[sz]ation|Corporation|NGO|Agency")
"""Schema.org types of organisations: Organization, NewsMediaOrganization, Corporation, GovernmentOrganization..."""
ORGANISATION_WORDS = re.compile(r"(?i)(?:^|[\s-])(?:staff|redaktion|newsroom|editors|editorial|desk|team|agency"
                                r"|agencies|agenturen|rédaction|redacción|redazione|inc|ltd|llc|gmbh|corp)(?:$|[\s-])")
"""Words that make a byline an organisation's: "Reuters Staff", "MM-Redaktion", "Smart Shopping Team", a
company's legal form ("mediagene Inc.")."""
_PUBLISHER_METAS = ("og:site_name", "application-name", "twitter:site", "publisher", "dc.publisher",
                    "dcterms.publisher")
_PUBLISHERS: weakref.WeakKeyDictionary[Page, frozenset[str]] = weakref.WeakKeyDictionary()


def _key(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def publisher_keys(page: Page) -> frozenset[str]:
    """How the page names its publisher, folded (``og:site_name``, ``twitter:site``, ``application-name``,
    the JSON-LD ``publisher``), and (as ``host:`` keys) its host name's labels and pairs of labels."""
    if page in _PUBLISHERS:
        return _PUBLISHERS[page]
    names = [v for key in _PUBLISHER_METAS for v in page.metas.get(key, ()) if "://" not in v]
    publisher = page.article_ld.get("publisher")
    for entry in publisher if isinstance(publisher, list) else [publisher]:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            names.append(entry["name"])
    labels = page.url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower().split(".")
    hosts = [*labels, *(a + b for a, b in zip(labels, labels[1:], strict=False))]
    keys = frozenset({_key(n.lstrip("@")) for n in names} | {f"host:{h}" for h in hosts if len(h) >= 3})
    keys -= {"", "host:www"}
    _PUBLISHERS[page] = keys
    return keys


_NEWSROOM = re.compile(r"(?i)^(\S+)\s+(?:news|online|digital|media|newsroom)$")
"""A host's name and a newsroom's word: "CBC News" on cbc.ca."""


def names_publisher(name: str, page: Page) -> bool:
    """Whether ``name`` is how the page names its publisher (its site name, or, for one word, "The X" or
    "X News", its host)."""
    keys, key = publisher_keys(page), _key(re.sub(r"(?i)^the\s+", "", name.strip()))
    newsroom = _NEWSROOM.match(name.strip())
    return _key(name) in keys or key in keys or ((" " not in name.strip() or key != _key(name))
                                                   and f"host:{key}" in keys) \
        or (newsroom is not None and f"host:{_key(newsroom.group(1))}" in keys)
