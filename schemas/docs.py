"""The data dictionary: Markdown generated from the registered schemas (``docs/data-dictionary.md``).

Regenerate with ``scrapy schema docs``; a test fails when the committed file is out of date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schemas.registry import Registry, SchemaVersion

DICTIONARY = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"


def _type(schema: dict[str, Any], root: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.replace('_', '-')})"
    declared = schema.get("type", "any")
    types = [declared] if isinstance(declared, str) else list(declared)
    parts = []
    for kind in types:
        if kind == "array":
            parts.append(f"array of {_type(schema.get('items', {}), root)}")
        elif kind == "string" and "format" in schema:
            parts.append(f"string ({schema['format']})")
        else:
            parts.append(kind)
    return " or ".join(parts)


def _introduced(versions: list[SchemaVersion], pointer: tuple[str, ...]) -> int:
    for version in versions:
        node: Any = version.schema
        for step in pointer:
            node = node.get(step) if isinstance(node, dict) else None
        if node is not None:
            return version.version
    return versions[-1].version


def _table(versions: list[SchemaVersion], schema: dict[str, Any], pointer: tuple[str, ...]) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | required | since | meaning |", "|---|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        nullable = "null" in (prop.get("type") or [])
        need = "yes" if name in required and not nullable else ("yes, may be null" if name in required else "no")
        since = _introduced(versions, (*pointer, "properties", name))
        meaning = prop.get("description", "").replace("|", "\\|")
        lines.append(f"| `{name}` | {_type(prop, schema)} | {need} | {since} | {meaning} |")
    return lines


def render(registry: Registry) -> str:
    """The whole data dictionary, one section per subject (its newest version) and per $defs."""
    out = ["# Data dictionary", "",
           "Generated from `schemas/` by `scrapy schema docs`; do not edit by hand. "
           "*since* is the version of the subject that introduced the field.", ""]
    for subject in registry.subjects.values():
        versions = [subject.versions[n] for n in sorted(subject.versions)]
        latest = versions[-1]
        out += [f"## {subject.name}", "",
                f"{latest.schema.get('description', '')} Newest version: `{latest.ref}` "
                f"(`{latest.id}`); compatibility level {subject.compatibility}; versions "
                + ", ".join(f"`{v.ref}`" for v in versions) + ".", ""]
        out += _table(versions, latest.schema, ())
        for name, definition in latest.schema.get("$defs", {}).items():
            out += ["", f"### {name}", "", definition.get("description", ""), ""]
            if definition.get("type") == "object":
                out += _table(versions, definition, ("$defs", name))
            else:
                out += [f"Type: {_type(definition, latest.schema)}."]
        out.append("")
    return "\n".join(out)
