"""The schema registry: versioned JSON Schema files under ``schemas/<subject>/<version>.json``.

The files are the source of truth. Loading checks each one against the Draft 2020-12 metaschema,
against the keyword subset the registry allows (so that the compatibility checker understands
every schema it is given), and its ``$id``/``x-subject``/``x-version`` against its place on disk.
Every ``$ref`` must resolve inside the registry; nothing is ever fetched from the network.
Validators are built once per subject@version and cached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import jsonschema
import jsonschema_rs
from referencing import Registry as RefRegistry
from referencing import Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

SCHEMAS_DIR: Traversable = resources.files(__package__)
"""The registry's folder, read as a package resource: a folder in the checkout (a ``Path``), or a
folder inside a zip when the project runs from an egg (Scrapyd)."""
METASCHEMA = "https://json-schema.org/draft/2020-12/schema"
LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
          "FULL_TRANSITIVE")
DEFAULT_LEVEL = "BACKWARD_TRANSITIVE"
ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples",
                         "deprecated", "readOnly", "writeOnly"})
ASSERTIONS = frozenset({"type", "properties", "required", "additionalProperties", "items", "enum",
                        "const", "format", "minLength", "maxLength", "pattern", "minimum", "maximum",
                        "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "uniqueItems",
                        "anyOf", "$ref", "$defs"})
ALLOWED_KEYWORDS = ANNOTATIONS | ASSERTIONS


class SchemaError(ValueError):
    """A schema file or reference the registry cannot accept; the message names the file."""


def parse_ref(text: str) -> tuple[str, int | None]:
    """``"article@2"`` -> ``("article", 2)``; ``"article"`` -> ``("article", None)`` (newest)."""
    subject, _, version = text.partition("@")
    if version and not version.isdigit():
        raise SchemaError(f"{text!r}: the version after @ must be a whole number (article@2)")
    return subject, int(version) if version else None


def _entries(folder: Traversable) -> list[Traversable]:
    """What a folder holds; nothing when it is not one."""
    return list(folder.iterdir()) if folder.is_dir() else []


MAX_DEPTH = 32  # nesting of subschemas; deeper is a mistake, and beyond what the checkers recurse


def _children(schema: dict[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    for key, value in schema.items():
        if key in ("properties", "$defs") and isinstance(value, dict):
            for name, sub in value.items():
                yield f"{path}.{key}.{name}", sub
        elif key in ("items", "additionalProperties"):
            yield f"{path}.{key}", value
        elif key == "anyOf" and isinstance(value, list):
            for index, sub in enumerate(value):
                yield f"{path}.anyOf[{index}]", sub


def _walk(schema: Any, path: str = "$", source: str = "schema") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema (dict) with its location, depth first (iteratively: no recursion limit);
    ``SchemaError`` naming ``source`` when nesting goes deeper than ``MAX_DEPTH``."""
    stack = [(path, schema, 0)]
    while stack:
        where, sub, depth = stack.pop()
        if not isinstance(sub, dict):
            continue
        if depth > MAX_DEPTH:
            raise SchemaError(f"{source}: {where} is nested {depth} levels deep, more than {MAX_DEPTH}; "
                              "flatten it with $defs and $ref")
        yield where, sub
        stack.extend((p, child, depth + 1) for p, child in reversed(list(_children(sub, where))))


def json_path(parts: list[Any], index: str | None = None) -> str:
    """``["related", 0, "url"]`` -> ``$.related[0].url``; with ``index="*"``, ``$.related[*].url``
    (every list position written as ``index``, to group errors across elements)."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part if index is None else index}]"
        else:
            text += f".{part}"
    return text


def check_schema(schema: Any, source: str) -> None:
    """Raise ``SchemaError`` unless ``schema`` is valid 2020-12 in the allowed keyword subset."""
    if not isinstance(schema, dict):
        raise SchemaError(f"{source}: a schema must be a JSON object")
    if schema.get("$schema", METASCHEMA) != METASCHEMA:
        raise SchemaError(f"{source}: $schema must be {METASCHEMA} (Draft 2020-12)")
    for _ in _walk(schema, source=source):  # depth first: the metaschema check recurses
        pass
    try:  # jsonschema (pure Python: ~25 ms a version, at every process start) only names the error
        if not jsonschema_rs.meta.is_valid(schema):
            jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise SchemaError(f"{source}: not a valid Draft 2020-12 schema at {where}: {exc.message}") from exc
    for path, sub in _walk(schema):
        unknown = {k for k in sub if k not in ALLOWED_KEYWORDS and not k.startswith("x-")}
        if unknown:
            raise SchemaError(f"{source}: {path} uses {sorted(unknown)}, outside the registry's keyword "
                              f"subset; allowed: {sorted(ALLOWED_KEYWORDS)} and x-* annotations")


@dataclass
class SchemaVersion:
    """One registered version of a subject."""

    subject: str
    version: int
    path: Traversable
    """The file: a ``Path`` in the checkout, a ``zipfile.Path`` inside an egg."""
    schema: dict[str, Any]

    @property
    def id(self) -> str:
        """The schema's ``$id``."""
        return self.schema["$id"]

    @property
    def ref(self) -> str:
        """``subject@version``."""
        return f"{self.subject}@{self.version}"


@dataclass
class Subject:
    """A subject: its versions in order and its compatibility level."""

    name: str
    compatibility: str
    versions: dict[int, SchemaVersion] = field(default_factory=dict)

    @property
    def latest(self) -> SchemaVersion:
        """The newest version."""
        return self.versions[max(self.versions)]


class Registry:
    """All subjects under a folder, checked on load; validators cached per subject@version."""

    def __init__(self, root: Traversable = SCHEMAS_DIR):
        self.root = root
        self.subjects: dict[str, Subject] = {}
        self._validators: dict[str, Any] = {}
        self._load()

    # --- loading --------------------------------------------------------------------------

    def _load(self) -> None:
        for folder in sorted(_entries(self.root), key=lambda entry: entry.name):
            subject_file = folder / "subject.json"
            if not subject_file.is_file():
                continue
            meta = self._read(subject_file)
            level = str(meta.get("compatibility", DEFAULT_LEVEL)).upper()
            if level not in LEVELS:
                raise SchemaError(f"{subject_file}: compatibility {level!r} is not one of {list(LEVELS)}")
            subject = Subject(folder.name, level)
            for path in sorted(_entries(folder), key=lambda entry: entry.name):
                stem, suffix = path.name.rsplit(".", 1) if "." in path.name else (path.name, "")
                if suffix != "json" or path.name == "subject.json":
                    continue
                if not stem.isdigit():
                    raise SchemaError(f"{path}: version files are named <number>.json")
                subject.versions[int(stem)] = self._load_version(subject.name, int(stem), path)
            if not subject.versions:
                raise SchemaError(f"{folder}: subject {folder.name!r} has no <version>.json file")
            self.subjects[subject.name] = subject
        if not self.subjects:
            raise SchemaError(f"{self.root}: no subject (a folder with subject.json) found")
        self._check_refs()

    @staticmethod
    def _read(path: Traversable) -> dict[str, Any]:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except RecursionError as exc:
            raise SchemaError(f"{path}: nested too deep to read (more than {MAX_DEPTH} levels are refused); "
                              "flatten it with $defs and $ref") from exc
        except OSError as exc:
            raise SchemaError(f"{path}: cannot read ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{path}: not JSON: {exc}") from exc

    def _load_version(self, subject: str, version: int, path: Traversable) -> SchemaVersion:
        schema = self._read(path)
        check_schema(schema, str(path))
        if schema.get("x-subject") != subject or schema.get("x-version") != version:
            raise SchemaError(f"{path}: states x-subject={schema.get('x-subject')!r} "
                              f"x-version={schema.get('x-version')!r}; its place says {subject!r} {version}")
        if not isinstance(schema.get("$id"), str) or not schema["$id"]:
            raise SchemaError(f"{path}: every registered schema needs an $id")
        return SchemaVersion(subject, version, path, schema)

    @cached_property
    def _ref_registry(self) -> RefRegistry:
        resources = [(v.id, Resource.from_contents(v.schema)) for s in self.subjects.values()
                     for v in s.versions.values()]
        return RefRegistry().with_resources(resources)  # no retrieve: unknown URIs are unresolvable

    def _check_refs(self) -> None:
        """Every $ref of every file resolves inside the registry, and no chain of them comes back
        to where it started (a recursive schema has no Parquet type and no finite comparison)."""
        for version in self.all_versions():
            resolver = self._ref_registry.resolver(base_uri=version.id)
            self._check_ref_chain(version, version.schema, resolver, "$", [])

    def _check_ref_chain(self, version: SchemaVersion, schema: dict[str, Any], resolver: Any, at: str,
                         chain: list[tuple[int, str]]) -> None:
        for path, sub in _walk(schema, at, str(version.path)):
            ref = sub.get("$ref")
            if ref is None:
                continue
            try:
                resolved = resolver.lookup(ref)
            except Unresolvable as exc:
                raise SchemaError(f"{version.path}: {path}.$ref {ref!r} does not resolve inside the "
                                  f"registry (remote references are never fetched)") from exc
            if any(id(resolved.contents) == seen for seen, _ in chain):
                cycle = " -> ".join([*(r for _, r in chain), ref])
                raise SchemaError(f"{version.path}: {path}.$ref {ref!r} is a $ref cycle ({cycle}); recursive "
                                  "schemas are refused: give the nested object its own finite shape")
            if len(chain) > MAX_DEPTH:
                raise SchemaError(f"{version.path}: {path}.$ref chain longer than {MAX_DEPTH}; flatten it")
            self._check_ref_chain(version, resolved.contents, resolved.resolver, f"{path}->{ref}",
                                  [*chain, (id(resolved.contents), ref)])

    # --- queries --------------------------------------------------------------------------

    def all_versions(self) -> Iterator[SchemaVersion]:
        """Every version of every subject, by subject then version."""
        for subject in self.subjects.values():
            for number in sorted(subject.versions):
                yield subject.versions[number]

    def get(self, ref: str) -> SchemaVersion:
        """``subject[@version]`` (newest when no version); an unknown one lists what exists."""
        name, number = parse_ref(ref)
        subject = self.subjects.get(name)
        if subject is None:
            raise SchemaError(f"unknown subject {name!r}; registered: {sorted(self.subjects)}")
        if number is None:
            return subject.latest
        if number not in subject.versions:
            raise SchemaError(f"{name} has no version {number}; registered: "
                              f"{[f'{name}@{n}' for n in sorted(subject.versions)]}")
        return subject.versions[number]

    def resolver(self, version: SchemaVersion):
        """A ``$ref`` resolver for the compatibility checker, relative to ``version``'s ``$id``
        and limited to the registry."""
        return self.resolver_for(version.schema)

    def resolver_for(self, schema: dict[str, Any]):
        """A ``$ref`` resolver for any schema (a registered one or a file being compared): its own
        pointers and the registry's ``$id``s resolve, nothing else, and nothing is fetched."""
        base = schema.get("$id") or "urn:broadsheet:unregistered-schema"
        registry = self._ref_registry.with_resource(base, Resource(schema, DRAFT202012))
        resolver = registry.resolver(base_uri=base)

        def resolve(ref: str, _context: dict[str, Any]) -> dict[str, Any]:
            try:
                return resolver.lookup(ref).contents
            except Unresolvable as exc:
                raise SchemaError(f"$ref {ref!r} does not resolve inside the registry "
                                  "(remote references are never fetched)") from exc

        return resolve

    def check_chain(self, subject_name: str) -> list[tuple[str, str, list]]:
        """(older, newer, breaking differences) for every pair the subject's level checks."""
        from schemas.compat import breaking, diff, pairs_to_check

        subject = self.subjects[subject_name]
        chain = [subject.versions[n] for n in sorted(subject.versions)]
        results = []
        for i, j in pairs_to_check(len(chain), subject.compatibility):
            old, new = chain[i], chain[j]
            found = diff(old.schema, new.schema, self.resolver(old), self.resolver(new))
            results.append((old.ref, new.ref, breaking(found, subject.compatibility)))
        return results

    def validator(self, ref: str) -> Any:
        """The jsonschema-rs validator (formats asserted, offline) for ``subject[@version]``."""
        version = self.get(ref)
        cached = self._validators.get(version.ref)
        if cached is None:
            resources = [(v.id, v.schema) for v in self.all_versions()]
            cached = jsonschema_rs.Draft202012Validator(
                version.schema, validate_formats=True, offline=True,
                registry=jsonschema_rs.Registry(resources))
            self._validators[version.ref] = cached
        return cached

    def reference_validator(self, ref: str) -> jsonschema.Draft202012Validator:
        """The python-jsonschema validator (formats asserted, refs from the registry only): the
        reference implementation the fast validator is measured and checked against."""
        version = self.get(ref)
        key = version.ref + "#py"
        cached = self._validators.get(key)
        if cached is None:
            cached = jsonschema.Draft202012Validator(
                version.schema, registry=self._ref_registry,
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            self._validators[key] = cached
        return cached


_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The project's registry (``schemas/``), loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Registry()
    return _DEFAULT
