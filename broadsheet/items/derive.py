"""Item classes derived from a registered JSON Schema, so that each field is written once.

The schema file is the contract; a spider fills a dataclass whose fields are the schema's
``properties`` in the registry's order, each documented by the property's ``description``
(``dataclasses.fields(Article)[i].metadata["description"]``). Every field is keyword-only and
optional at construction: an incomplete item must still reach schema validation, which
quarantines it with the missing paths instead of the spider failing on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from itemadapter import ItemAdapter

_SCALARS: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "object": dict}
_FORMATS: dict[str, Any] = {"date": dt.date}  # Python values a spider sets; to_dict writes them as ISO text


def _types(prop: dict[str, Any]) -> list[str]:
    """The property's ``type`` as a list (``"string"`` -> ``["string"]``)."""
    types = prop.get("type", [])
    return [types] if isinstance(types, str) else list(types)


def _python_type(prop: dict[str, Any], defs: dict[str, Any], classes: dict[str, type]) -> Any:
    """The annotation of one property: a nested item class for a ``$ref`` to an object (the
    referenced type otherwise), ``list[...]`` for an array, ``dt.date`` for ``format: date``,
    ``X | None`` when ``null`` is allowed."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return classes[name] if name in classes else _python_type(defs.get(name, {}), defs, classes)
    types = _types(prop)
    nullable = "null" in types
    kinds = [t for t in types if t != "null"]
    if kinds == ["array"]:
        annotation: Any = list[_python_type(prop.get("items", {}), defs, classes)]
    elif len(kinds) == 1:
        annotation = _FORMATS.get(prop.get("format", ""), _SCALARS.get(kinds[0], Any))
    else:
        annotation = Any
    return annotation | None if nullable and annotation is not Any else annotation


_PLAIN = frozenset({str, int, float, bool, type(None)})  # JSON as they are: most of a record's values


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, list):
        return [_jsonable(element) for element in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if to_dict is not None else value


def item_class(name: str, schema: dict[str, Any], defs: dict[str, Any], classes: dict[str, type],
               module: str = __name__) -> type:
    """A slotted dataclass for the object ``schema``: one field per property, in order.

    ``defs`` are the ``$defs`` its references point to; ``classes`` maps ``$defs`` names to the
    item classes already derived, for nested objects. ``module`` is where the class is published
    (its ``__module__``), so that its items pickle (an extraction worker sends them back).
    The class gets ``to_dict()``: a JSON-ready dict in schema order (dates as ISO text).
    """
    fields = []
    for key, prop in schema.get("properties", {}).items():
        default: dict[str, Any] = {"default_factory": list} if "array" in _types(prop) else {"default": None}
        fields.append((key, _python_type(prop, defs, classes), dataclasses.field(
            **default, metadata={"description": prop.get("description", ""), "schema": prop})))
    names = tuple(key for key, _, _ in fields)

    def to_dict(self: Any) -> dict[str, Any]:
        """A JSON-ready dict in schema field order (dates as ISO text)."""
        return {key: _jsonable(getattr(self, key)) for key in names}

    doc = schema.get("description", name) + "\n\nFields (from the registered schema):\n\n" + "\n".join(
        f"- ``{key}``: {prop.get('description', '')}" for key, prop in schema.get("properties", {}).items())
    cls = dataclasses.make_dataclass(name, fields, namespace={"to_dict": to_dict, "__doc__": doc},
                                     slots=True, kw_only=True)
    cls.__module__ = module
    return cls


def items_from_schema(schema: dict[str, Any], module: str = __name__) -> dict[str, type]:
    """Item classes for ``schema``'s object ``$defs`` (named by their ``title``) and the schema
    itself (by its ``title``), nested ones first so that references resolve; each published as
    ``module``'s (``item_class``)."""
    defs = schema.get("$defs", {})
    by_def: dict[str, type] = {}
    for def_name, definition in defs.items():
        if definition.get("type") == "object":
            by_def[def_name] = item_class(definition.get("title", def_name), definition, defs, by_def, module)
    top = item_class(schema["title"], schema, defs, by_def, module)
    return {cls.__name__: cls for cls in [*by_def.values(), top]}


def as_record(item: Any) -> dict[str, Any]:
    """The item as a JSON-ready dict: a dict as it is, an item that can say it itself without a
    deep copy (``to_dict``), anything else through ItemAdapter."""
    if type(item) is dict:
        return item
    to_dict: Callable[[], dict[str, Any]] | None = getattr(item, "to_dict", None)
    return to_dict() if to_dict is not None else ItemAdapter(item).asdict()
