"""``scrapy schema``: list, show, check, compare and apply the registered schemas.

- ``scrapy schema list``
- ``scrapy schema show SUBJECT[@VERSION]``
- ``scrapy schema compat OLD.json NEW.json --level backward|forward|full``: exit 0 when
  compatible, 1 when not (each difference printed with its path and rule), 2 on bad input
- ``scrapy schema check``: every file valid, every subject's chain obeys its level (exit 1 if not)
- ``scrapy schema validate SUBJECT[@VERSION] FILE.jsonl``: errors grouped by path with counts,
  exit 1 if any record is invalid (text holding U+FFFD too, as in the crawl: ``replacement_character``)
- ``scrapy schema docs``: regenerate the data dictionary, docs/data-dictionary.md
- ``scrapy schema models``: regenerate the typed models, schemas/models.py
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from broadsheet.commands import ProjectTool
from schemas.registry import Registry, SchemaError, check_schema, default_registry, json_path

PREFIX = "schema"


class Command(ProjectTool, ScrapyCommand):
    """The schema registry from the command line."""

    def syntax(self) -> str:
        """Command syntax."""
        return "list | show SUBJECT[@V] | compat OLD NEW --level L | check | validate SUBJECT[@V] FILE | docs"

    def short_desc(self) -> str:
        """One-line description."""
        return "Inspect, check and apply the versioned schemas in schemas/"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """``--level`` for ``compat``."""
        super().add_options(parser)
        parser.add_argument("--level", default="backward",
                            help="compat: backward, forward or full (default: backward)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Dispatch to the sub-command; bad input is a UsageError (exit 2) with the reason."""
        if not args:
            raise UsageError("expected a sub-command: list, show, compat, check, validate, docs, models")
        action, rest = args[0], args[1:]
        handlers = {"list": self.list, "show": self.show, "compat": self.compat, "check": self.check,
                    "validate": self.validate, "docs": self.docs, "models": self.models}
        if action not in handlers:
            raise UsageError(f"unknown sub-command {action!r}; use one of {sorted(handlers)}")
        try:
            self.exitcode = handlers[action](rest, opts)
        except SchemaError as exc:
            raise UsageError(f"{PREFIX}: {exc}", print_help=False) from exc

    def registry(self) -> Registry:
        """The registry in ``SCHEMA_REGISTRY_DIR`` (default: the project's ``schemas/``)."""
        folder = self.settings.get("SCHEMA_REGISTRY_DIR") if self.settings else None
        return Registry(Path(folder)) if folder else default_registry()

    @staticmethod
    def _arity(rest: list[str], count: int, usage: str) -> None:
        if len(rest) != count:
            raise UsageError(f"expected: scrapy schema {usage}")

    def list(self, rest: list[str], opts: argparse.Namespace) -> int:
        """One line per subject: versions and compatibility level."""
        self._arity(rest, 0, "list")
        for subject in self.registry().subjects.values():
            versions = ", ".join(str(v) for v in sorted(subject.versions))
            print(f"{subject.name}\tversions {versions}\tlatest {subject.latest.ref}\t{subject.compatibility}")
        return 0

    def show(self, rest: list[str], opts: argparse.Namespace) -> int:
        """The schema file of SUBJECT[@VERSION], as registered."""
        self._arity(rest, 1, "show SUBJECT[@VERSION]")
        print(json.dumps(self.registry().get(rest[0]).schema, indent=2, ensure_ascii=False))
        return 0

    def compat(self, rest: list[str], opts: argparse.Namespace) -> int:
        """Compare two schema files at a level; 0 compatible, 1 not."""
        self._arity(rest, 2, "compat OLD.json NEW.json --level backward|forward|full")
        level = opts.level.upper()
        if level.removesuffix("_TRANSITIVE") not in ("BACKWARD", "FORWARD", "FULL", "NONE"):
            raise UsageError(f"--level {opts.level!r}: use backward, forward or full")
        old, new = (self._load_file(Path(p)) for p in rest)
        registry = self.registry()
        from schemas.compat import breaking, diff

        found = diff(old, new, registry.resolver_for(old), registry.resolver_for(new))
        broken = breaking(found, level)
        for difference in found:
            mark = "BREAKS" if difference in broken else "ok    "
            print(f"{mark} {difference.path}: {difference.rule} ({difference.detail})")
        verdict = "incompatible" if broken else "compatible"
        print(f"{PREFIX}: {rest[1]} is {verdict} with {rest[0]} at {level} "
              f"({len(broken)} breaking of {len(found)} differences)")
        return 1 if broken else 0

    @staticmethod
    def _load_file(path: Path) -> dict[str, Any]:
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SchemaError(f"{path}: cannot read ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{path}: not JSON: {exc}") from exc
        check_schema(schema, str(path))
        return schema

    def check(self, rest: list[str], opts: argparse.Namespace) -> int:
        """Load (and so check) every file, then every subject's chain at its level."""
        self._arity(rest, 0, "check")
        registry = self.registry()
        failures = 0
        for name, subject in registry.subjects.items():
            for old, new, broken in registry.check_chain(name):
                for difference in broken:
                    failures += 1
                    print(f"{PREFIX}: {registry.get(new).path}: {new} breaks {subject.compatibility} "
                          f"against {old}: {difference.path}: rule {difference.rule} ({difference.detail})")
        count = sum(len(s.versions) for s in registry.subjects.values())
        print(f"{PREFIX}: {count} schema files in {len(registry.subjects)} subjects; "
              f"{'all chains compatible' if not failures else f'{failures} breaking differences'}")
        return 1 if failures else 0

    def docs(self, rest: list[str], opts: argparse.Namespace) -> int:
        """Write the data dictionary generated from the registry."""
        from schemas.docs import DICTIONARY, render

        self._arity(rest, 0, "docs")
        DICTIONARY.parent.mkdir(parents=True, exist_ok=True)
        DICTIONARY.write_text(render(self.registry()), encoding="utf-8")
        print(f"{PREFIX}: wrote {DICTIONARY}")
        return 0

    def models(self, rest: list[str], opts: argparse.Namespace) -> int:
        """Regenerate the typed models (``schemas/models.py``) from the newest article schema."""
        from schemas.typed import MODELS, render

        self._arity(rest, 0, "models")
        MODELS.write_text(render(self.registry()), encoding="utf-8")
        print(f"{PREFIX}: wrote {MODELS}")
        return 0

    def validate(self, rest: list[str], opts: argparse.Namespace) -> int:
        """Validate a JSON Lines file; errors grouped by path and keyword with counts."""
        self._arity(rest, 2, "validate SUBJECT[@VERSION] FILE.jsonl")
        registry = self.registry()
        version = registry.get(rest[0])
        from pipelines.validation import RecordValidator  # the crawl's rule: the schema, and no U+FFFD

        validator = RecordValidator(registry.validator(version.ref))
        path = Path(rest[1])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SchemaError(f"{path}: cannot read ({exc.strerror})") from exc
        groups: Counter[tuple[str, str]] = Counter()
        examples: dict[tuple[str, str], str] = {}
        records = invalid = 0
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            records += 1
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SchemaError(f"{path}:{number}: not JSON ({exc})") from exc
            errors = list(validator.iter_errors(record))
            invalid += bool(errors)
            for error in errors:
                key = (json_path(list(error.instance_path), index="*"),
                       str(error.schema_path[-1]) if error.schema_path else "")
                groups[key] += 1
                examples.setdefault(key, f"line {number}: {error.message}")
        for (where, keyword), count in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"{count:6d}  {where}  [{keyword}]  e.g. {examples[(where, keyword)]}")
        print(f"{PREFIX}: {invalid} of {records} records in {path} invalid against {version.ref}")
        return 1 if invalid else 0
