"""Schema compatibility, as Confluent's registry defines it, for the registry's keyword subset.

``diff(old, new)`` walks both schemas together and returns typed ``Difference``s, each with a
JSON path, the rule it falls under, and whether it keeps BACKWARD compatibility (the new schema
reads data written with the old) and FORWARD compatibility (the old schema reads new data).
``check(versions, level)`` applies a level, transitive forms included, to a version chain.

Rules (old -> new; "closed" = ``additionalProperties: false``), from ../shared/notes:
adding an optional property is backward-only in a closed model and forward-only in an open one;
adding a required property breaks both; removing a property from a closed model is
forward-only; required -> optional is backward-only and the reverse forward-only; enum values
added are backward-only, removed forward-only; widening a type (integer -> number, T -> [T, null],
an added anyOf branch) is backward-only, narrowing forward-only, an unrelated change breaks both;
opening a closed model is backward-only; loosening a bound is backward-only, tightening or adding
one (or a pattern) forward-only; a changed pattern breaks both; a format added or changed is
forward-only (Apicurio's rule); annotations ($id, title, description, $comment, default) never
matter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Resolver = Callable[[str, dict[str, Any]], dict[str, Any]]

LOWER_BOUNDS = ("minLength", "minItems", "minimum", "exclusiveMinimum")
UPPER_BOUNDS = ("maxLength", "maxItems", "maximum", "exclusiveMaximum")
ALL_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})


@dataclass(frozen=True)
class Difference:
    """One change between two schemas and what it does to compatibility."""

    path: str
    rule: str
    backward: bool
    forward: bool
    detail: str

    def breaks(self, direction: str) -> bool:
        """Whether this change breaks ``BACKWARD``, ``FORWARD`` or ``FULL``."""
        if direction == "BACKWARD":
            return not self.backward
        if direction == "FORWARD":
            return not self.forward
        return not (self.backward and self.forward)

    def __str__(self) -> str:
        return f"{self.path}: {self.rule} ({self.detail})"


def local_resolver(root: dict[str, Any]) -> Resolver:
    """Resolves ``#/...`` pointers inside ``root`` only; any other ``$ref`` is an error."""

    def resolve(ref: str, _context: dict[str, Any]) -> dict[str, Any]:
        if not ref.startswith("#"):
            raise ValueError(f"$ref {ref!r} is not local; give a registry resolver")
        node: Any = root
        for part in [p for p in ref[1:].split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    return resolve


def _types(schema: dict[str, Any]) -> frozenset[str]:
    declared = schema.get("type")
    if declared is None:
        return ALL_TYPES
    types = frozenset([declared] if isinstance(declared, str) else declared)
    return types | {"integer"} if "number" in types else types


class _Differ:
    def __init__(self, resolve_old: Resolver, resolve_new: Resolver):
        self.resolve_old = resolve_old
        self.resolve_new = resolve_new
        self.out: list[Difference] = []
        self._seen: set[tuple[int, int]] = set()

    def add(self, path: str, rule: str, backward: bool, forward: bool, detail: str) -> None:
        self.out.append(Difference(path, rule, backward, forward, detail))

    def deref(self, schema: Any, resolve: Resolver) -> Any:
        hops = 0
        while isinstance(schema, dict) and "$ref" in schema and hops < 32:
            schema, hops = resolve(schema["$ref"], schema), hops + 1
        return schema

    def compare(self, old: Any, new: Any, path: str) -> None:
        old, new = self.deref(old, self.resolve_old), self.deref(new, self.resolve_new)
        if old is True or old == {}:
            old = {}
        if new is True or new == {}:
            new = {}
        if old is False or new is False:
            if old != new:
                self.add(path, "schema.boolean_changed", new is not False, old is not False, f"{old} -> {new}")
            return
        key = (id(old), id(new))
        if key in self._seen:
            return
        self._seen.add(key)
        self.types(old, new, path)
        self.enum(old, new, path)
        self.bounds(old, new, path)
        self.pattern_and_format(old, new, path)
        self.any_of(old, new, path)
        if "object" in _types(old) & _types(new):
            self.objects(old, new, path)
        if "array" in _types(old) & _types(new) and ("items" in old or "items" in new):
            self.compare(old.get("items", {}), new.get("items", {}), f"{path}[*]")

    def types(self, old: dict, new: dict, path: str) -> None:
        before, after = _types(old), _types(new)
        if before == after:
            return
        if before < after:
            self.add(path, "type.widened", True, False, f"{sorted(before)} -> {sorted(after)}")
        elif after < before:
            self.add(path, "type.narrowed", False, True, f"{sorted(before)} -> {sorted(after)}")
        else:
            self.add(path, "type.changed", False, False, f"{sorted(before)} -> {sorted(after)}")

    def enum(self, old: dict, new: dict, path: str) -> None:
        before = old.get("enum", [old["const"]] if "const" in old else None)
        after = new.get("enum", [new["const"]] if "const" in new else None)
        if before == after:
            return
        if after is None:
            self.add(path, "enum.removed", True, False, "enum dropped: any value allowed")
            return
        if before is None:
            self.add(path, "enum.added", False, True, f"values restricted to {after}")
            return
        key = lambda v: json.dumps(v, sort_keys=True)  # noqa: E731
        old_keys, new_keys = {key(v) for v in before}, {key(v) for v in after}
        added, removed = new_keys - old_keys, old_keys - new_keys
        if added:
            self.add(path, "enum.value_added", True, False, f"added {sorted(added)}")
        if removed:
            self.add(path, "enum.value_removed", False, True, f"removed {sorted(removed)}")

    def bounds(self, old: dict, new: dict, path: str) -> None:
        for keyword in LOWER_BOUNDS + UPPER_BOUNDS:
            before, after = old.get(keyword), new.get(keyword)
            if before == after:
                continue
            upper = keyword in UPPER_BOUNDS
            if after is None:
                loosened = True
            elif before is None:
                loosened = False
            else:
                loosened = after > before if upper else after < before
            rule = f"bound.{keyword}.{'loosened' if loosened else 'tightened'}"
            self.add(path, rule, loosened, not loosened, f"{before} -> {after}")
        if old.get("uniqueItems", False) != new.get("uniqueItems", False):
            loosened = not new.get("uniqueItems", False)
            self.add(path, f"bound.uniqueItems.{'loosened' if loosened else 'tightened'}", loosened,
                     not loosened, f"{old.get('uniqueItems')} -> {new.get('uniqueItems')}")

    def pattern_and_format(self, old: dict, new: dict, path: str) -> None:
        for keyword in ("pattern", "format"):
            before, after = old.get(keyword), new.get(keyword)
            if before == after:
                continue
            if after is None:
                self.add(path, f"{keyword}.removed", True, False, f"{before!r} dropped")
            elif before is None:
                self.add(path, f"{keyword}.added", False, True, f"{after!r} added")
            elif keyword == "format":
                self.add(path, "format.changed", False, True, f"{before!r} -> {after!r}")
            else:
                self.add(path, "pattern.changed", False, False, f"{before!r} -> {after!r}")

    def any_of(self, old: dict, new: dict, path: str) -> None:
        before, after = old.get("anyOf"), new.get("anyOf")
        if before == after:
            return
        before, after = before or [], after or []
        key = lambda v: json.dumps(v, sort_keys=True)  # noqa: E731
        old_keys, new_keys = [key(v) for v in before], [key(v) for v in after]
        added = [k for k in new_keys if k not in old_keys]
        removed = [k for k in old_keys if k not in new_keys]
        if len(added) == len(removed) == 1 and before and after:
            i, j = old_keys.index(removed[0]), new_keys.index(added[0])
            self.compare(before[i], after[j], f"{path}.anyOf[{j}]")
            return
        if added and not removed and before:
            self.add(path, "anyOf.branch_added", True, False, f"{len(added)} branch(es) added")
        elif removed and not added and after:
            self.add(path, "anyOf.branch_removed", False, True, f"{len(removed)} branch(es) removed")
        else:
            self.add(path, "anyOf.changed", False, False, "branches replaced")

    def objects(self, old: dict, new: dict, path: str) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        old_closed = old.get("additionalProperties", True) is False
        new_closed = new.get("additionalProperties", True) is False
        for name in old_props.keys() & new_props.keys():
            self.compare(old_props[name], new_props[name], f"{path}.{name}")
        for name in new_props.keys() - old_props.keys():
            where = f"{path}.{name}"
            if name in new_required:
                self.add(where, "property.added_required", False, not old_closed,
                         "old data never carries it")
            elif old_closed:
                self.add(where, "property.added_optional.closed_model", True, False,
                         "old schema rejects it in new data")
            else:
                self.add(where, "property.added_optional.open_model", False, True,
                         "old data may carry it with any value")
        for name in old_props.keys() - new_props.keys():
            where = f"{path}.{name}"
            if new_closed:
                self.add(where, "property.removed.closed_model", False, name not in old_required,
                         "new schema rejects it in old data")
            else:
                unconstrained = old_props[name] in ({}, True)
                self.add(where, "property.removed.open_model", True,
                         unconstrained and name not in old_required,
                         "new data may carry it with any value; the old schema constrained it")
        for name in (new_required - old_required) & old_props.keys():
            self.add(f"{path}.{name}", "required.added", False, True, "optional -> required")
        for name in (old_required - new_required) & new_props.keys():
            self.add(f"{path}.{name}", "required.removed", True, False, "required -> optional")
        if old_closed != new_closed:
            if new_closed:
                self.add(path, "additionalProperties.closed", False, True, "true -> false")
            else:
                self.add(path, "additionalProperties.opened", True, False, "false -> true")
        elif isinstance(old.get("additionalProperties"), dict) or isinstance(new.get("additionalProperties"), dict):
            self.compare(old.get("additionalProperties", {}), new.get("additionalProperties", {}), f"{path}.*")


def diff(old: dict[str, Any], new: dict[str, Any], resolve_old: Resolver | None = None,
         resolve_new: Resolver | None = None) -> list[Difference]:
    """Every difference between ``old`` and ``new`` that matters to compatibility, by path."""
    differ = _Differ(resolve_old or local_resolver(old), resolve_new or local_resolver(new))
    differ.compare(old, new, "$")
    return sorted(set(differ.out), key=lambda d: (d.path, d.rule))


def breaking(differences: Iterable[Difference], level: str) -> list[Difference]:
    """The differences that break ``level`` (NONE, BACKWARD, FORWARD or FULL; *_TRANSITIVE too)."""
    direction = level.upper().removesuffix("_TRANSITIVE")
    if direction == "NONE":
        return []
    if direction not in ("BACKWARD", "FORWARD", "FULL"):
        raise ValueError(f"unknown compatibility level {level!r}; use NONE, BACKWARD, FORWARD or FULL "
                         "(optionally _TRANSITIVE)")
    return [d for d in differences if d.breaks(direction)]


def pairs_to_check(count: int, level: str) -> list[tuple[int, int]]:
    """Index pairs (older, newer) a version chain of ``count`` versions is checked on."""
    transitive = level.upper().endswith("_TRANSITIVE")
    if transitive:
        return [(i, j) for j in range(1, count) for i in range(j)]
    return [(j - 1, j) for j in range(1, count)]

