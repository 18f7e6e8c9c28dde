"""Arrow (and so Parquet) types from the registered JSON Schema: the dataset's typed contract.

Our own mapping (no maintained library gets it right, see ../shared/notes): string -> string;
format date-time -> timestamp("us", "UTC"); format date -> date32; integer/number/boolean ->
int64/float64/bool; closed object -> struct; array -> list; a field is non-nullable exactly when
it is required and does not allow null. Types never come from data: a first batch whose optional
columns are all null still gets the right types.

Records travel as JSON-ready dicts (dates as ISO strings). ``transport_schema`` is the same shape
with every date and timestamp as a string: records are loaded into it, then cast to the real
schema by Arrow's own ISO 8601 parsing.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from schemas.registry import Registry, SchemaVersion

SCALARS = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
FORMATS = {"date-time": pa.timestamp("us", tz="UTC"), "date": pa.date32()}


class ArrowMappingError(ValueError):
    """A schema construct with no Arrow type; the message names the path."""


def _nullable(schema: dict[str, Any]) -> bool:
    declared = schema.get("type")
    return isinstance(declared, list) and "null" in declared


def _kind(schema: dict[str, Any], path: str) -> str:
    declared = schema.get("type")
    kinds = [declared] if isinstance(declared, str) else [t for t in declared or [] if t != "null"]
    if len(kinds) != 1:
        raise ArrowMappingError(f"{path}: type {declared!r} has no single Arrow type")
    return kinds[0]


MAX_DEPTH = 32  # nesting levels; a deeper (or recursive) schema has no Arrow type


def _target(schema: dict[str, Any], resolve, path: str) -> dict[str, Any]:
    """The schema a chain of ``$ref`` ends at; ``ArrowMappingError`` on a cycle."""
    seen: list[str] = []
    while "$ref" in schema:
        if schema["$ref"] in seen or len(seen) > MAX_DEPTH:
            raise ArrowMappingError(f"{path}: $ref cycle {' -> '.join([*seen, schema['$ref']])}")
        seen.append(schema["$ref"])
        schema = resolve(schema["$ref"])
    return schema


def arrow_type(schema: dict[str, Any], resolve, path: str = "$", transport: bool = False) -> pa.DataType:
    """The Arrow type of one (sub)schema; ``transport`` keeps dates as strings."""
    if path.count(".") + path.count("[") > MAX_DEPTH:
        raise ArrowMappingError(f"{path}: nested deeper than {MAX_DEPTH} levels (a recursive schema?)")
    schema = _target(schema, resolve, path)
    kind = _kind(schema, path)
    if kind == "string":
        fmt = schema.get("format")
        return pa.string() if transport or fmt not in FORMATS else FORMATS[fmt]
    if kind in SCALARS:
        return SCALARS[kind]
    if kind == "array":
        items = schema.get("items", {})
        item_schema = _target(items, resolve, path)
        return pa.list_(pa.field("element", arrow_type(items, resolve, f"{path}[*]", transport),
                                 nullable=_nullable(item_schema)))
    if kind == "object":
        return pa.struct(_fields(schema, resolve, path, transport))
    raise ArrowMappingError(f"{path}: type {kind!r} has no Arrow mapping")


def _fields(schema: dict[str, Any], resolve, path: str, transport: bool) -> list[pa.Field]:
    if schema.get("additionalProperties", True) is not False:
        raise ArrowMappingError(f"{path}: only closed objects (additionalProperties: false) map to a struct")
    required = set(schema.get("required", []))
    fields = []
    for name, sub in schema.get("properties", {}).items():
        target = _target(sub, resolve, f"{path}.{name}")
        nullable = name not in required or _nullable(target)
        fields.append(pa.field(name, arrow_type(sub, resolve, f"{path}.{name}", transport), nullable=nullable))
    return fields


def arrow_schema(version: SchemaVersion, registry: Registry, transport: bool = False,
                 metadata: dict[str, str] | None = None) -> pa.Schema:
    """The Arrow schema of a registered version (top-level fields), with key-value metadata."""
    resolver = registry.resolver(version)
    fields = _fields(version.schema, lambda ref: resolver(ref, {}), "$", transport)
    meta = {"broadsheet.schema": version.ref, "broadsheet.schema_id": version.id, **(metadata or {})}
    return pa.schema(fields, metadata=meta)
