"""Field sources: small declarative things that each read one candidate value from a ``Page``.

A field is read by an ordered list of sources; the first candidate the field's normaliser accepts
wins (``broadsheet.extract.fields``). Every source has a ``name`` (the stats key
``broadsheet/field/<field>/<name>`` counts its wins) and ``candidates(page)``, the raw values it
finds, best first. ``then`` (any source) turns each raw value into another before the normaliser
sees it (``State("publishTime", then=from_epoch_millis)``); a value ``then`` cannot take is left out.

- ``LD("headline")``: a path in the page's article JSON-LD object;
- ``State("props.pageProps.title")``: a path in the site's embedded page state;
- ``Meta("og:title", "twitter:title")``: ``<meta>`` by name/property/itemprop, anywhere, ``@content`` or ``@value``;
- ``XPath("//h1")`` / ``CSS("h1.title")``: text of what a selector finds (``each=False``: all of it as one list);
- ``URL(regex, "id")``: a named group of a regex on the page URL;
- ``Hint("headline")``: a value given with the request (``request.meta["broadsheet_announced"]``,
  e.g. from a feed), after what the page itself says;
- ``Func(callable)``: anything else, ``callable(page)`` returning a value or None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

from broadsheet.extract.page import Page
from broadsheet.extract.xpath import nodes


def dig(data: Any, path: str) -> Any:
    """``data`` followed along a dotted path (``a.b.0.c``); None as soon as a step is missing.

    A list met where a key is asked for is searched for the first entry that has it.
    """
    for step in path.split(".") if path else ():
        if isinstance(data, list) and step.lstrip("-").isdigit():
            index = int(step)
            data = data[index] if -len(data) <= index < len(data) else None
        elif isinstance(data, list):
            data = next((d.get(step) for d in data if isinstance(d, dict) and d.get(step) is not None), None)
        elif isinstance(data, dict):
            data = data.get(step)
        else:
            return None
        if data is None:
            return None
    return data


@dataclass(frozen=True)
class Source:
    """Base of every source: a stats ``name`` and an optional ``then`` transform of raw values."""

    name: str = field(default="", kw_only=True)
    then: Callable[[Any], Any] | None = field(default=None, kw_only=True, compare=False)

    def raw(self, page: Page) -> Iterable[Any]:  # pragma: no cover - every source defines it
        """The raw values this source finds on the page, best first."""
        raise NotImplementedError

    def candidates(self, page: Page) -> Iterable[Any]:
        """The raw values, through ``then`` when given; None and empty values left out."""
        for value in self.raw(page):
            if self.then is not None and value not in (None, "", [], {}):
                try:
                    value = self.then(value)
                except (TypeError, ValueError, AttributeError, KeyError):  # a shape the site no longer uses
                    continue
            if value not in (None, "", [], {}):
                yield value

    @property
    def label(self) -> str:
        """The stats name: ``name`` when given, else one derived from the source's arguments."""
        return self.name or self.default_name()

    def default_name(self) -> str:
        """A readable name from the source's arguments."""
        return type(self).__name__.lower()


@dataclass(frozen=True)
class LD(Source):
    """A dotted path in the page's article JSON-LD object (``author``, ``publisher.name``)."""

    path: str

    def raw(self, page: Page) -> Iterable[Any]:
        """The value at ``path``."""
        yield dig(page.article_ld, self.path)

    def default_name(self) -> str:
        """``jsonld:<path>``."""
        return f"jsonld:{self.path}"


@dataclass(frozen=True)
class State(Source):
    """A dotted path in the site's embedded page state (what the spider's ``page_state`` returns)."""

    path: str

    def raw(self, page: Page) -> Iterable[Any]:
        """The value at ``path``."""
        yield dig(page.state, self.path)

    def default_name(self) -> str:
        """``state:<path>``."""
        return f"state:{self.path}"


class Meta(Source):
    """Meta values by ``name``/``property``/``itemprop`` (case-insensitive), in the order given."""

    def __init__(self, *keys: str, name: str = "", then: Callable[[Any], Any] | None = None):
        super().__init__(name=name, then=then)
        object.__setattr__(self, "keys", tuple(k.lower() for k in keys))

    keys: tuple[str, ...]

    def raw(self, page: Page) -> Iterable[Any]:
        """Every value of each key in turn."""
        metas = page.metas
        for key in self.keys:
            yield from metas.get(key, ())

    def default_name(self) -> str:
        """``meta:<first key>`` (and ``+`` when there are more)."""
        return f"meta:{self.keys[0]}" + ("+" if len(self.keys) > 1 else "")

    def __repr__(self) -> str:
        return f"Meta{self.keys!r}"


def _text(found: Any) -> str:
    return found if isinstance(found, str) else " ".join(found.itertext())


@dataclass(frozen=True)
class XPath(Source):
    """What an XPath selects on the page: each result's text in turn, or (``each=False``) the list of
    all results' texts as one candidate (a list of author names, of ticker symbols)."""

    expression: str
    each: bool = True

    def raw(self, page: Page) -> Iterable[Any]:
        """Texts of the selected nodes."""
        found = nodes(page.root, self.expression)
        if self.each:
            yield from (_text(f) for f in found)
        else:
            yield [_text(f) for f in found]

    def default_name(self) -> str:
        """``xpath``."""
        return "xpath"


@lru_cache(maxsize=256)
def css_to_xpath(selector: str) -> str:
    """A CSS selector as XPath (cssselect, as parsel does)."""
    from cssselect import HTMLTranslator

    return HTMLTranslator().css_to_xpath(selector)


class CSS(XPath):
    """What a CSS selector selects (``h1.title``), as ``XPath`` does."""

    def __init__(self, selector: str, each: bool = True, *, name: str = "", then: Callable[[Any], Any] | None = None):
        super().__init__(css_to_xpath(selector), each, name=name or "css", then=then)


@dataclass(frozen=True)
class URL(Source):
    """A named group of a regex searched in the page URL."""

    pattern: re.Pattern[str]
    group: str

    def raw(self, page: Page) -> Iterable[Any]:
        """The group's text when the regex matches and has the group."""
        match = self.pattern.search(page.url) if self.group in self.pattern.groupindex else None
        yield match.group(self.group) if match else None

    def default_name(self) -> str:
        """``url:<group>``."""
        return f"url:{self.group}"


@dataclass(frozen=True)
class Hint(Source):
    """A value given with the request: ``request.meta["broadsheet_announced"][key]`` (a feed's title, date)."""

    key: str

    def raw(self, page: Page) -> Iterable[Any]:
        """The hint's value."""
        yield page.hints.get(self.key)

    def default_name(self) -> str:
        """``hint:<key>``."""
        return f"hint:{self.key}"


@dataclass(frozen=True)
class Func(Source):
    """``function(page)``: one value (or None); a generator function may yield several."""

    function: Callable[[Page], Any]

    def raw(self, page: Page) -> Iterable[Any]:
        """The function's value(s)."""
        value = self.function(page)
        if isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict, list, tuple, etree._Element)):
            yield from value
        else:
            yield value

    def default_name(self) -> str:
        """The function's name."""
        return getattr(self.function, "__name__", "func").strip("_")
