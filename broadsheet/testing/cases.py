"""Fixture cases: discovered from ``fixtures/<spider>/<case>/`` and compared field by field.

A case folder holds ``meta.json`` (``urls``, ``reference_time``, ``schema``), ``expected.json``
(the expected record, or ``{"url": ..., "removed": true}`` for a page that must not reach the
dataset) and ``cassette.yaml`` or ``cassette.yaml.gz`` (the same YAML, gzip-compressed), its share
of the spider's recordings (when absent, the spider's ``fixtures/<spider>/cassette.yaml``).

Expected records follow fundus's rule: complete, and never an empty value. They hold every field
the page has (``compact`` of the crawl's record: no ``null``, ``[]``, ``""`` or ``{}`` at any depth),
and a field they leave out is one the crawl's record must leave empty (``unexpected``), so a value
is neither lost nor gained silently.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broadsheet import FIXTURES

CASSETTE_NAMES = ("cassette.yaml.gz", "cassette.yaml")
"""A case's own cassette: gzip-compressed YAML (new cases), or plain YAML."""


@dataclass(frozen=True)
class Case:
    """One recorded page and what the spider must make of it."""

    spider: str
    name: str
    folder: Path
    meta: dict[str, Any]
    expected: dict[str, Any]

    @property
    def id(self) -> str:
        """``spider/case``, the test id prefix."""
        return f"{self.spider}/{self.name}"

    @property
    def cassette(self) -> Path:
        """The cassette this case replays: its own when it has one, else the spider's."""
        for name in CASSETTE_NAMES:
            if (self.folder / name).exists():
                return self.folder / name
        return self.folder.parent / "cassette.yaml"


def discover(fixtures: Path = FIXTURES, spider: str = "*") -> list[Case]:
    """Every case folder under ``fixtures`` (of one spider, or all), sorted."""
    cases = []
    for meta_path in sorted(fixtures.glob(f"{spider}/*/meta.json")):
        folder = meta_path.parent
        cases.append(Case(
            spider=folder.parent.name,
            name=folder.name,
            folder=folder,
            meta=json.loads(meta_path.read_text(encoding="utf-8")),
            expected=json.loads((folder / "expected.json").read_text(encoding="utf-8")),
        ))
    return cases


def is_empty(value: Any) -> bool:
    """Whether a value says nothing: ``None``, ``""``, ``[]`` or ``{}``."""
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def compact(value: Any) -> Any:
    """``value`` without its empty values at any depth: what an expected record holds."""
    if isinstance(value, dict):
        kept = {key: compact(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if not is_empty(item)}
    if isinstance(value, list):
        return [compact(item) for item in value]
    return value


def empty_paths(expected: Any, prefix: str = "") -> list[str]:
    """Where ``expected`` holds an empty value (which an expected record never does)."""
    if isinstance(expected, dict):
        return [path for key, item in expected.items()
                for path in ([f"{prefix}{key}"] if is_empty(item) else empty_paths(item, f"{prefix}{key}."))]
    if isinstance(expected, list):
        return [path for index, item in enumerate(expected) for path in empty_paths(item, f"{prefix[:-1]}[{index}].")]
    return []


def unexpected(got: Any, expected: Any, prefix: str = "") -> dict[str, Any]:
    """The values of ``got`` at the paths ``expected`` leaves out (those must be empty): path to value.

    Lists of objects are compared element by element when their lengths agree (their lengths are
    one of the expected fields).
    """
    if isinstance(got, dict) and isinstance(expected, dict):
        found: dict[str, Any] = {}
        for key, value in got.items():
            if key not in expected:
                if not is_empty(compact(value)):
                    found[f"{prefix}{key}"] = value
            else:
                found.update(unexpected(value, expected[key], f"{prefix}{key}."))
        return found
    if (isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected)
            and all(isinstance(e, dict) for e in expected)):
        found = {}
        for index, (g, e) in enumerate(zip(got, expected, strict=True)):
            found.update(unexpected(g, e, f"{prefix[:-1]}[{index}]."))
        return found
    return {}


def field_paths(expected: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, expected value) for each leaf the expected record names: ``related[0].url``.

    A list of objects gives its length (``related.count``) and each element's fields; any other
    value is one leaf.
    """
    if isinstance(expected, dict):
        paths = []
        for key, value in expected.items():
            paths.extend(field_paths(value, f"{prefix}.{key}" if prefix else key))
        return paths
    if isinstance(expected, list) and expected and all(isinstance(v, dict) for v in expected):
        paths = [(f"{prefix}.count", len(expected))]
        for index, value in enumerate(expected):
            paths.extend(field_paths(value, f"{prefix}[{index}]"))
        return paths
    return [(prefix, expected)]


def value_at(record: Any, path: str) -> Any:
    """The value of ``record`` at a ``field_paths`` path (``.count`` is a list's length)."""
    current = record
    for part in path.replace("[", ".[").split("."):
        if part == "count" and isinstance(current, list):
            return len(current)
        if part.startswith("["):
            index = int(part[1:-1])
            current = current[index] if isinstance(current, list) and index < len(current) else None
        else:
            current = current.get(part) if isinstance(current, dict) else None
    return current


def explain(case: Case, path: str, expected: Any, got: Any) -> str:
    """A readable failure: page, field, expected and got; a unified diff for long text."""
    head = f"{case.id}: {case.meta['urls'][0]}\n  field {path}\n"
    if isinstance(expected, str) and isinstance(got, str) and (len(expected) > 80 or "\n" in expected):
        diff = difflib.unified_diff(expected.splitlines(), got.splitlines(), "expected", "got", lineterm="")
        return head + "\n".join(diff)
    return head + f"  expected: {expected!r}\n  got:      {got!r}"


