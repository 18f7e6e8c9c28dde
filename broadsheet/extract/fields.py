"""Fields: each read by an ordered list of sources; the first candidate its normaliser accepts wins.

``BASE_SOURCES`` is what every page gets with no site code, from what pages contain (JSON-LD,
microdata, OpenGraph, Dublin Core, Parse.ly, Sailthru and other vendor metas, ``<time>``,
``rel=author``, bylines, the URL): no rule names a domain. A site spider overrides one field's
list, or extends it: ``...`` in a site's list stands for the base's sources of that field.

``extract_fields`` returns an ``Extraction``: per field the normalised value, the raw value it
came from, the winning source's name and (when asked) every candidate with its verdict, which is
what ``scrapy sd`` prints.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from broadsheet.extract.body import Body, text_body
from broadsheet.extract.body_flight import flight_body
from broadsheet.extract.body_main import json_ld_body, main_content
from broadsheet.extract.bylines import (
    ORGANISATION_TYPE,
    ORGANISATION_WORDS,
    author_page_link,
    byline_elements,
    bylines_read,
    labelled_byline,
    names_publisher,
)
from broadsheet.extract.dates import (
    date_after_title,
    first_text_date,
    htmldate_day,
    labelled_date,
    time_elements,
    title_day,
    url_day,
    visible_date,
)
from broadsheet.extract.instants import in_page_offset, visible_instant
from broadsheet.extract.jsonld import types_of
from broadsheet.extract.page import Page
from broadsheet.extract.sources import LD, Func, Hint, Meta, Source, XPath
from broadsheet.extract.xpath import compiled, nodes
from broadsheet.normalize.authors import normalize_authors
from broadsheet.normalize.dates import Moment, parse_moment
from broadsheet.normalize.text import clean_text, title_parts
from broadsheet.normalize.urls import as_uri

Normaliser = Callable[[Any, Page], Any]
"""``normaliser(raw, page)``: the field's clean value, or None to reject the candidate."""


# --- normalisers -----------------------------------------------------------------------------

def _first_string(raw: Any) -> Any:
    if isinstance(raw, list):
        return next((r for r in raw if isinstance(r, str) and r.strip()), None)
    if isinstance(raw, dict):
        return raw.get("name") or raw.get("@value")
    return raw


_SITE_BEFORE = re.compile(r"^(?P<site>[^|\-–—:•»]{2,60}?)\s*[|\-–—:•»]\s+(?P<rest>.+)$")
_SITE_AFTER = re.compile(r"^(?P<rest>.+?)\s*(?:\s[|\-–—•»]|[:|])\s*(?P<site>[^|\-–—:•»]{2,60})$")


def without_site_name(text: str, page: Page) -> str:
    """A title without the publisher's name before or after it ("Story - Golem.de", "TechCrunch | Story"),
    when the page names its publisher so (``og:site_name``, its host)."""
    for pattern in (_SITE_AFTER, _SITE_BEFORE):
        match = pattern.match(text)
        if match and len(match.group("rest").strip()) >= 8 and names_publisher(match.group("site").strip(), page):
            return match.group("rest").strip()
    return text


def headline(raw: Any, page: Page) -> str | None:
    """Clean text of reasonable length (a title, not a paragraph), without the publisher's name glued on, nor a
    kicker or section that the page's ``og:title`` or ``twitter:title`` leaves out (``without_glued_part``)."""
    value = _first_string(raw)
    found = without_site_name(clean_text(value), page) if isinstance(value, str) else ""
    found = without_glued_part(found, page)
    return found if 0 < len(found) <= 400 else None


SOCIAL_TITLES = Meta("og:title", "twitter:title")
"""The titles a page gives its social cards: a headline source, and what the headline rules check others against."""


_GLUED_PART = re.compile(r"^\s*(?:[:|•»]|\s[-–—])\s*[^-–—:|•»]{2,40}$|^[^-–—:|•»]{2,40}?(?:[:|•»]|\s[-–—])\s*$")
"""What is left of a title beside a shorter one: a separator and a short part (" | Sport", "Minderheit in Syrien -");
a dash only with a space before it ("MSV-Interimstrainer" is one word)."""


def without_glued_part(text: str, page: Page) -> str:
    """``text`` as the page's ``og:title`` or ``twitter:title`` writes it when that is ``text`` without a short part
    glued on with a separator: a kicker before it ("Minderheit in Syrien - Drusen fordern ...") or a section after
    it ("Thioune fordert Geduld | Sport")."""
    for title in SOCIAL_TITLES.raw(page):
        title = without_site_name(clean_text(title), page)
        if len(title) < 8 or title == text:
            continue
        rest = text[len(title):] if text.startswith(title) else text[:-len(title)] if text.endswith(title) else ""
        if _GLUED_PART.match(rest):
            return title
    return text


def title_tag(page: Page) -> str | None:
    """The ``<title>`` without a trailing " | Site" or " - Site" part."""
    found = page.title
    if not found:
        return None
    parts = title_parts(found)
    if len(parts) == 1 and parts[0] != clean_text(found):  # "| Site": the story's part is missing
        return None
    return max(parts, key=len) if parts else None


def single_h1(page: Page) -> str | None:
    """The page's ``<h1>`` when it has exactly one (several are section titles, not the headline) and the page's
    titles, when it has any, share a word with it, else the one inside ``<article>`` or ``<main>``. A page's one
    ``<h1>`` that no title echoes is the site's logo or name, a section's or a widget's ("POLITICO Politico
    Logo", "Original text"); the titles are ``og:title`` and ``twitter:title``, else (none, or only the
    publisher's name) the ``<title>``'s parts that do not name the publisher."""
    found = _h1_texts(page, "//h1")
    if len(found) == 1 and _echoed(found[0], page):
        return found[0]
    found = _h1_texts(page, "//article//h1 | //main//h1")
    return found[0] if len(found) == 1 else None


def _h1_texts(page: Page, expression: str) -> list[str]:
    """The distinct texts of the ``<h1>`` elements ``expression`` selects, the site's masthead left out."""
    texts = ((_inline_text(h), h) for h in nodes(page.root, expression))
    return list(dict.fromkeys(text for text, h in texts if text and not _masthead(h, text, page)))


def _masthead(h1: Any, text: str, page: Page) -> bool:
    """Whether an ``<h1>`` (whose text is ``text``) is the site's name linking to its home page
    (``<h1><a href="/">Silicon Exposed</a></h1>``, or inside ``<a class="logo" href="/">``): a blog's or a site's
    masthead, not a story's headline."""
    links = list(h1.iterancestors("a")) or [a for a in h1.iter("a") if _inline_text(a) == text]
    for link in links:
        href = link.get("href")
        target = urlsplit(urljoin(page.response.url, href.strip())) if href is not None else None
        if target is not None and target.path in ("", "/") and not target.query and not target.fragment:
            return True
    return False


def _echoed(text: str, page: Page) -> bool:
    """Whether one of the page's titles shares a word with ``text``, or it has no title to ask. The social titles
    are asked first, and alone when one names more than the publisher: the ``<title>`` also holds the site's
    name ("Silicon Exposed: Open Verilog flow"), which a blog prints as its one ``<h1>``."""
    social = [found for title in SOCIAL_TITLES.raw(page)
              if isinstance(title, str) and not names_publisher(title, page) and (found := _words(title))]
    titles = social or [found for part in title_parts(page.title)
                        if not names_publisher(part, page) and (found := _words(part))]
    words = _words(text)
    return not titles or any(words & found for found in titles)


_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
_WORD = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    """The text's words of four letters or more (or with a digit), case-folded: "and", "the", "of" echo every
    title; a run of Chinese, Japanese or Korean characters as its character pairs."""
    words = set()
    for word in _WORD.findall(text.casefold()):
        runs = _CJK_RUN.findall(word)
        words.update(run[i:i + 2] for run in runs for i in range(max(1, len(run) - 1)))
        words.update(part for part in _CJK_RUN.split(word) if len(part) > 3 or any(c.isdigit() for c in part))
    return words


def ld_headline(page: Page) -> Iterator[Any]:
    """The article JSON-LD's ``headline``; its ``name`` instead when the page's one ``<h1>`` prints the name and
    not the headline (Wikipedia's JSON-LD gives the entry's one-line description as its headline)."""
    headline, name = page.article_ld.get("headline"), page.article_ld.get("name")
    if (isinstance(headline, str) and isinstance(name, str) and clean_text(name) != clean_text(headline)
            and single_h1(page) == clean_text(name)):
        yield name
    else:
        yield headline


_GLUED = re.compile(r"^[:：,;.!?)]")


def _inline_text(element: Any) -> str:
    """An element's text, its parts joined by a space except before the punctuation that closes a part
    ("Breakpoint<span>: Hilfe</span>" is "Breakpoint: Hilfe")."""
    text = ""
    for part in element.itertext():
        part = clean_text(part)
        if part:
            text = f"{text}{part}" if not text or _GLUED.match(part) else f"{text} {part}"
    return text


_NOT_A_NAME = re.compile(r"https?://|www\.|\.com\b|^\d|\d{3}|@", re.IGNORECASE)


def _is_typed_organisation(entry: Any) -> bool:
    """Structured data typing the entry as an organisation and not also as a person."""
    types = types_of(entry) if isinstance(entry, dict) else []
    return any(ORGANISATION_TYPE.search(t) for t in types) and "Person" not in types


def _entries(raw: Any) -> list[tuple[Any, bool]]:
    """Each author entry of a candidate, with whether its structured data types it as an organisation."""
    return [(entry, _is_typed_organisation(entry)) for entry in (raw if isinstance(raw, list) else [raw])]


def people_and_organisations(raw: Any, page: Page) -> tuple[list[str], list[str], list[str]]:
    """A candidate's names as people, organisations (typed so, or a desk: "Reuters Staff") and the page's
    publisher named as author; URLs and sentences left out."""
    people: list[str] = []
    organisations: list[str] = []
    publishers: list[str] = []
    for entry, typed in _entries(raw):
        for name in normalize_authors(entry):
            if _NOT_A_NAME.search(name) or len(name.split()) > 5 or len(name) > 60:
                continue
            kind = (organisations if typed or ORGANISATION_WORDS.search(name)
                    else publishers if names_publisher(name, page) else people)
            if name not in kind:
                kind.append(name)
    return people, organisations, publishers


_INITIALS = re.compile(r"[A-Z]{2,5}")
"""A name that is a wire's or an outlet's initials ("AFP", "DPA"), not a person's."""


def authors(raw: Any, page: Page) -> list[str] | None:
    """Person names from bylines, metas or structured data (``By X and Y``, e-mails, roles and upper
    case cleaned). Organisations the page says are ones (typed ``Organization``, "Reuters Staff") are
    left out, and so is the publisher beside people; a candidate naming only the publisher is believed
    (a site's own source may say so: the base's metas that do give way to the page's bylines), with the
    initials of a wire beside it, and so are the organisations of a page that names no person
    (``organisations_alone``)."""
    if isinstance(raw, OrganisationsAlone):
        return list(raw.names)
    people, organisations, publishers = people_and_organisations(raw, page)
    if publishers and people and all(_INITIALS.fullmatch(name) for name in people):
        return [*publishers, *people]  # "Le Figaro et AFP": the publisher beside a wire's initials, no person
    if people and page not in SET_ASIDE:
        SET_ASIDE[page] = [*organisations, *publishers]
        PEOPLE[page] = people
    return people or publishers or None


SET_ASIDE: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()
"""Per page, the organisations the winning authors candidate named beside its people ("Julius Young, Fox News")."""


PEOPLE: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()
"""Per page, the people the winning authors candidate named."""


@dataclass(frozen=True)
class OrganisationsAlone:
    """The organisations a page names as its author, when it names no person: its authors then."""

    names: tuple[str, ...]


def organisations_alone(page: Page) -> Iterator[OrganisationsAlone]:
    """The organisations the page names as its author (as ``author_organisations`` reads them), for a page
    whose sources name no person (it is read after all of them): wire copy ("Deutsche Presse-Agentur"), a
    desk ("BWW News Desk"), the publisher itself ("Salzburger Nachrichten")."""
    for source in BASE_SOURCES["author_organisations"]:
        for raw in source.candidates(page):
            found = author_organisations(raw, page)
            if found:
                yield OrganisationsAlone(tuple(found))
                return


def bylines_with_authors(page: Page) -> Iterator[list[str]]:
    """The bylines the authors were read from; when they came from elsewhere (structured data), the
    bylines printed with their names: "By Julius Young | Fox News" names the outlet beside the person."""
    read = list(bylines_read(page))
    if read or not PEOPLE.get(page):
        yield from read
        return
    people = [name.casefold() for name in PEOPLE[page]]
    for byline in byline_elements(page):
        if any(name in " ".join(byline).casefold() for name in people):
            yield byline


def set_aside(page: Page) -> list[str] | None:
    """The organisations the authors' winning candidate named beside its people."""
    return SET_ASIDE.get(page) or None


def author_organisations(raw: Any, page: Page) -> list[str] | None:
    """Organisations named as the article's author where the page says they are: structured data typed
    ``Organization`` (or a kind of it), a desk ("Reuters Staff", "MM-Redaktion"), the page's publisher."""
    _, organisations, publishers = people_and_organisations(raw, page)
    return [*organisations, *(p for p in publishers if p not in organisations)] or None


PUBLISHED_METAS = ("article:published_time", "og:article:published_time", "article:published:time", "datepublished",
                   "article.published", "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
                   "dcterms.created", "dc.date", "dcterms.date", "pubdate", "publishdate", "publish-date",
                   "publish_date", "published_time", "article_date_original", "cxenseparse:recs:publishtime",
                   "rnews:datepublished", "originalpublicationdate", "date", "citation_publication_date",
                   "og:updated_time")
"""Metas that date the article's publication, best first."""
MODIFIED_METAS = ("article:modified_time", "og:article:modified_time", "article:modified:time", "datemodified",
                  "dcterms.modified", "last-modified", "og:updated_time")
"""Metas that date the article's last modification, best first."""
DATE_METAS = tuple(dict.fromkeys([*PUBLISHED_METAS, *MODIFIED_METAS]))
"""Every date meta: where a page may write a UTC instant's moment in its local time."""


AUTHOR_METAS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "dcterms.creator", "byl",
                "cxenseparse:author", "og:article:author", "citation_author", "twitter:creator")
"""Metas that name the article's authors."""


def author_metas(page: Page) -> Iterator[str]:
    """The author metas' values, except those naming only the page's publisher ("ABC News" on abcnews):
    a byline printed on the page says more."""
    for key in AUTHOR_METAS:
        yield from (value for value in page.metas.get(key, ()) if not only_publisher(value, page))


def only_publisher(value: str, page: Page) -> bool:
    """Whether every name an author meta gives is the page's publisher's."""
    names = normalize_authors(value)
    return bool(names) and all(names_publisher(n, page) for n in names)


WRITTEN_BY = re.compile(r"^(?:written by|author|by|verfasst von|geschrieben von|autor|écrit par|escrito por|"
                        r"scritto da|napisane przez|geschreven door)$", re.IGNORECASE)
"""Labels Yoast SEO's Twitter card pairs give the article's author ("Written by")."""


def labelled_authors(page: Page) -> Iterator[str]:
    """Yoast SEO's ``twitter:labelN`` / ``twitter:dataN`` pairs whose label says "Written by" (in a few
    languages), and its ``twitter:misc:Written by`` metas, which carry the label in their name: the data is
    the author's name, unless it names only the page's publisher."""
    metas = page.metas
    for key, labels in metas.items():
        if key.startswith("twitter:label") and any(WRITTEN_BY.match(label.strip()) for label in labels):
            data = metas.get("twitter:data" + key.removeprefix("twitter:label"), ())
            yield from (value for value in data if not only_publisher(value, page))
    for element in page.meta_like:  # the metas' keys are split at spaces: read the name whole
        name, value = element.get("name") or element.get("property") or "", (element.get("content") or "").strip()
        if name.startswith("twitter:misc:") and WRITTEN_BY.match(name.removeprefix("twitter:misc:").strip()) \
                and value and not only_publisher(value, page):
            yield value


def moment(raw: Any, page: Page) -> Moment | None:
    """A date with the precision and offset the page gives (``Moment``): a UTC instant in the page's own
    offset when a date meta writes the same moment in local time (``in_page_offset``)."""
    found = raw if isinstance(raw, Moment) else parse_moment(
        _first_string(raw) if not isinstance(raw, (int, float)) else raw)
    return in_page_offset(found, page, DATE_METAS) if found is not None else None


def text(raw: Any, page: Page) -> str | None:
    """Clean text, or None when nothing is left."""
    value = _first_string(raw)
    return clean_text(value) or None if isinstance(value, str) else None


def absolute_url(raw: Any, page: Page) -> str | None:
    """An absolute http(s) URL (from a string, an ``ImageObject`` or a list of either), written as the URI a
    browser requests (``as_uri``: an IRI's non-ASCII letters percent-encoded)."""
    while isinstance(raw, (list, dict)):
        raw = (raw[0] if raw else None) if isinstance(raw, list) else (raw.get("url") or raw.get("@id")
                                                                         or raw.get("contentUrl"))
    if not isinstance(raw, str) or not raw.strip() or raw.startswith("data:"):
        return None
    url = page.response.urljoin(raw.strip())
    return as_uri(url, page.response.encoding) if url.startswith(("http://", "https://")) else None


_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,8}))?")


def language(raw: Any, page: Page) -> str | None:
    """A BCP 47 tag (``en_US`` -> ``en-US``, ``EN`` -> ``en``)."""
    match = _LANGUAGE.match(str(_first_string(raw) or "").strip())
    if not match:
        return None
    primary, region = match.group(1).lower(), match.group(2)
    if primary in ("und", "xx"):
        return None
    return f"{primary}-{region.upper() if len(region) == 2 else region}" if region else primary


def keywords(raw: Any, page: Page) -> list[str] | None:
    """Distinct keywords in order, from a list or a comma-separated string."""
    values = raw if isinstance(raw, list) else re.split(r"\s*[,;]\s*", raw) if isinstance(raw, str) else []
    found = list(dict.fromkeys(clean_text(v) for v in values if isinstance(v, str) and clean_text(v)))
    return found or None


def symbols(raw: Any, page: Page) -> list[str] | None:
    """Distinct non-empty strings in order (ticker symbols)."""
    values = raw if isinstance(raw, list) else [raw]
    found = list(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))
    return found or None


def identifier(raw: Any, page: Page) -> str | None:
    """A non-empty identifier as text."""
    if isinstance(raw, dict):
        raw = raw.get("value") or raw.get("@id")
    value = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    return value or None


def free_access(raw: Any, page: Page) -> bool | None:
    """``isAccessibleForFree`` as a boolean (``true``, ``"False"``)."""
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    return True if value == "true" else False if value == "false" else None


def body(raw: Any, page: Page) -> Body | None:
    """A non-empty ``Body`` (plain text becomes blocks by its lines)."""
    if isinstance(raw, Body):
        return raw if raw.text else None
    return text_body(raw) if isinstance(raw, str) else None


# --- generic sources --------------------------------------------------------------------------

def url_path_id(page: Page) -> str | None:
    """The URL's longest run of 5 or more digits (most sites' story number), or None."""
    runs = re.findall(r"\d{5,}", page.url.split("?", 1)[0].split("://", 1)[-1].split("/", 1)[-1])
    runs = [r for r in runs if not re.fullmatch(r"(?:19|20)\d{6}", r)]  # a date is not an id
    return max(runs, key=len) if runs else None


def url_hash(page: Page) -> str:
    """A stable id from the URL (without query and fragment) when the page gives none."""
    return hashlib.sha1(page.url.split("#", 1)[0].split("?", 1)[0].encode()).hexdigest()[:16]


_NAME_PARTS = compiled('.//*[@itemprop="name"]')


def itemprop_text(prop: str) -> Func:
    """Microdata: the ``@datetime`` or text of elements with ``itemprop=prop`` that carry no ``@content`` (the
    text of their ``itemprop=name`` parts when they have some), from the page's one index of microdata; not
    those inside a ``<figure>``, which describe its picture (the photographer as its author)."""

    def read(page: Page) -> Iterator[str]:
        for element in page.itemprops.get(prop, ()):
            if any(ancestor.tag == "figure" for ancestor in element.iterancestors()):
                continue
            if element.get("datetime") is not None:
                yield element.get("datetime")
                continue
            parts = _NAME_PARTS(element)
            if parts:
                yield from (" ".join(part.itertext()) for part in parts if part.get("content") is None)
            else:
                yield " ".join(element.itertext())

    return Func(read, name=f"microdata:{prop}")


def parsely(key: str) -> Func:
    """A key of Parse.ly's JSON metadata (``<meta name="parsely-page" content='{...}'>``)."""
    import json

    def read(page: Page) -> Any:
        for raw in page.metas.get("parsely-page", ()):
            try:
                data = json.loads(raw)
            except ValueError:
                continue
            if isinstance(data, dict):
                return data.get(key)
        return None

    return Func(read, name=f"parsely-page:{key}")


def detected_language(page: Page) -> str | None:
    """The language of the page's visible text, detected (py3langid) when the page does not say."""
    import py3langid

    sample = " ".join(page.root.xpath("//p//text()")[:200])[:3000] or page.response.text[:3000]
    code, _ = py3langid.classify(sample)
    return code


BASE_SOURCES: dict[str, tuple[Source, ...]] = {
    "headline": (Func(ld_headline, name="jsonld:headline"), Func(single_h1, name="h1"),
                 SOCIAL_TITLES, LD("name"),
                 Meta("parsely-title", "sailthru.title", "dc.title", "dcterms.title", "title"),
                 Func(title_tag, name="title"),
                 Hint("headline")),
    "authors": (LD("author"), LD("creator"), itemprop_text("author"),
                Func(author_metas, name="meta:author+"), parsely("author"), Func(byline_elements, name="byline"),
                Func(labelled_authors, name="meta:twitter:data"),  # the CMS account that posted it: after the byline
                Func(labelled_byline, name="text:byline"), Hint("authors"),
                Func(author_page_link, name="byline:link"), Func(organisations_alone, name="organisations")),
    "author_organisations": (LD("author"), LD("creator"), Meta(*AUTHOR_METAS),
                             Func(bylines_with_authors, name="byline"), Func(set_aside, name="authors")),
    "date_published": (LD("datePublished"),
                       Meta(*PUBLISHED_METAS),
                       parsely("pub_date"), itemprop_text("datePublished"),
                       LD("dateCreated"),  # when the item was made, not published: after what the page says of that
                       Func(time_elements, name="time"),
                       Hint("date_published"),  # what a feed or sitemap said: before guesses from the text
                       Func(visible_instant, name="text:instant"),  # "Tue Dec 30, 2014 11:44pm GMT"
                       Func(visible_date, name="text"), Func(labelled_date, name="text:label"),
                       Func(url_day, name="url"), Func(title_day, name="title:day"),
                       Func(htmldate_day, name="htmldate"),
                       Func(date_after_title, name="text:title"), Func(first_text_date, name="text:first")),
    "date_modified": (LD("dateModified"),
                      Meta(*MODIFIED_METAS), itemprop_text("dateModified"),
                      Hint("date_modified")),
    "description": (LD("description"),
                    Meta("description", "og:description", "twitter:description", "dc.description",
                         "dcterms.abstract", "sailthru.description"),
                    Hint("description")),
    "image": (LD("image"), LD("thumbnailUrl"), Meta("og:image", "og:image:url", "twitter:image",
                                                                   "twitter:image:src", "thumbnailurl", "image"),
              Hint("image")),
    "language": (LD("inLanguage"), XPath("/html/@lang | /html/@xml:lang", name="html:lang"),
                 Meta("content-language", "og:locale", "dc.language", "language", "inlanguage"),
                 Hint("language"),
                 Func(detected_language, name="detected")),
    "section": (LD("articleSection"), Meta("article:section", "parsely-section", "sailthru.section",
                                                            "section", "category"),
                Hint("section")),
    "keywords": (LD("keywords"), Meta("news_keywords", "keywords", "article:tag", "parsely-tags",
                                                        "sailthru.tags"),
                 Hint("keywords")),
    "free_access": (LD("isAccessibleForFree"), Meta("isaccessibleforfree")),
    "canonical_url": (Func(lambda page: iter(page.canonical_hrefs), name="link:canonical"), Meta("og:url"), LD("url"),
                      Func(lambda page: page.url, name="url")),
    "article_id": (Meta("article:id", "parsely-post-id", "sailthru.post_id",
                                            "cxenseparse:articleid", "article.id", "articleid"), LD("identifier"),
                   Func(url_path_id, name="url_digits"), Func(url_hash, name="url_hash"),
                   Hint("article_id")),
    "body": (Func(json_ld_body, name="jsonld:articleBody"), Func(main_content, name="main_content"),
             Func(flight_body, name="flight")),  # a story only in Next.js's flight data: the document shows none
    "tickers": (),
}

NORMALISERS: dict[str, Normaliser] = {
    "headline": headline, "authors": authors, "author_organisations": author_organisations,
    "date_published": moment, "date_modified": moment,
    "description": text, "image": absolute_url, "language": language, "section": text, "keywords": keywords,
    "free_access": free_access, "canonical_url": absolute_url, "article_id": identifier, "body": body,
    "tickers": symbols,
}


# --- resolution -------------------------------------------------------------------------------

@dataclass
class Candidate:
    """One value a source offered for a field, and what the normaliser made of it."""

    source: str
    raw: Any
    value: Any

    @property
    def accepted(self) -> bool:
        """Whether the normaliser accepted it."""
        return self.value is not None


@dataclass
class Extraction:
    """Per field: the value, the raw value it came from, the winning source; candidates when traced."""

    values: dict[str, Any] = field(default_factory=dict)
    raws: dict[str, Any] = field(default_factory=dict)
    winners: dict[str, str] = field(default_factory=dict)
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)


def sources_for(name: str, overrides: Mapping[str, Sequence[Any]]) -> tuple[Source, ...]:
    """A field's sources: the site's list (``...`` in it standing for the base's), else the base's."""
    base = BASE_SOURCES.get(name, ())
    if name not in overrides:
        return base
    resolved: list[Source] = []
    for entry in overrides[name]:
        resolved.extend(base if entry is Ellipsis else (entry,))
    return tuple(resolved)


def extract_fields(page: Page, overrides: Mapping[str, Sequence[Any]] | None = None,
                   normalisers: Mapping[str, Normaliser] | None = None, trace: bool = False) -> Extraction:
    """Read every field of the page; ``trace`` keeps every candidate of every source (slower: all run)."""
    overrides = overrides or {}
    normalisers = {**NORMALISERS, **(normalisers or {})}
    result = Extraction()
    for name in dict.fromkeys([*BASE_SOURCES, *overrides]):
        normalise = normalisers.get(name, lambda raw, page: raw)
        seen: list[Candidate] = []
        for source in sources_for(name, overrides):
            for raw in source.candidates(page):
                value = normalise(raw, page)
                if trace:
                    seen.append(Candidate(source.label, raw, value))
                if value is not None and name not in result.values:
                    result.values[name], result.raws[name], result.winners[name] = value, raw, source.label
                    if not trace:
                        break
            if name in result.values and not trace:
                break
        if trace:
            result.candidates[name] = seen
    return result
