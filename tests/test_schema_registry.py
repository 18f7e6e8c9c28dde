"""The registry: files as data, checked on load, released versions frozen, bad input named."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from broadsheet.testing import forkserver
from schemas.registry import Registry, SchemaError, default_registry, parse_ref

SCHEMAS = ROOT / "schemas"
# A released version never changes. Add a line when releasing a version; never edit one.
RELEASED = {
    "article/1.json": "a944f46384de6612e4e28d440e4dea56e793b2a72c727bdee9429aef919949c3",
    "article/2.json": "aedd7bdefa3cd8187ee8968f5021be3d4399d7f57869f2f0c32204662109e22c",
    "article/3.json": "8d235b62d805cb5661355615e5a4216f478f2bbd237b252669adbbb4266622ad",
    "article/4.json": "0478a0d2bb52dfd3fb7d34d1ed0325fbef34c6a89d20fa2cb0d282680665cc2d",
}
VERSIONS = sorted(int(name.split("/")[1].split(".")[0]) for name in RELEASED)
REFS = [f"article@{v}" for v in VERSIONS]
LATEST = REFS[-1]


@pytest.mark.parametrize(("name", "digest"), RELEASED.items())
def test_released_versions_never_change(name, digest):
    assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, (
        f"schemas/{name} is released and must not change: add a new version instead")


def test_every_version_file_is_pinned():
    files = {str(p.relative_to(SCHEMAS)) for p in SCHEMAS.glob("*/[0-9]*.json")}
    assert files == set(RELEASED)


def test_registry_loads_and_defaults():
    registry = default_registry()
    assert registry.subjects["article"].compatibility == "BACKWARD_TRANSITIVE"
    assert registry.get("article").ref == LATEST
    assert registry.get("article@1").schema["x-version"] == 1
    for version in registry.all_versions():
        assert version.schema["additionalProperties"] is False
        assert version.id.endswith(f"/{version.subject}/{version.version}.json")


def test_validators_are_built_once():
    registry = default_registry()
    assert registry.validator(LATEST) is registry.validator("article")


@pytest.mark.parametrize(("ref", "message"), [
    ("story", "unknown subject 'story'; registered: ['article']"),
    ("article@9", f"article has no version 9; registered: {REFS}"),
    ("article@x", "must be a whole number"),
])
def test_unknown_subject_or_version_lists_what_exists(ref, message):
    with pytest.raises(SchemaError, match=message.replace("[", r"\[").replace("]", r"\]")):
        default_registry().get(ref)


def test_parse_ref():
    assert parse_ref("article@2") == ("article", 2)
    assert parse_ref("article") == ("article", None)


def broken_registry(tmp_path: Path, mutate) -> Path:
    """A copy of the registry with ``mutate(schema_dict)`` applied to a new version 3."""
    root = tmp_path / "schemas"
    shutil.copytree(SCHEMAS / "article", root / "article", ignore=shutil.ignore_patterns("*.py"))
    schema = json.loads((SCHEMAS / "article" / "2.json").read_text())
    schema["$id"] = schema["$id"].replace("/2.json", "/3.json")
    schema["x-version"] = 3
    text = mutate(schema)
    (root / "article" / "3.json").write_text(text if isinstance(text, str) else json.dumps(schema))
    return root


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda s: "{ not json", "3.json: not JSON"),
    (lambda s: s.update(type="objekt"), "3.json: not a valid Draft 2020-12 schema"),
    (lambda s: s.update(oneOf=[{"type": "object"}]), "outside the registry's keyword subset"),
    (lambda s: s["properties"].update(x={"$ref": "https://example.com/remote.json"}),
     "does not resolve inside the registry (remote references are never fetched)"),
    (lambda s: s["properties"].update(x={"$ref": "#/$defs/nowhere"}), "does not resolve inside the registry"),
    (lambda s: s.update({"x-version": 4}), "its place says 'article' 3"),
])
def test_bad_schema_files_are_named(tmp_path, mutate, message):
    root = broken_registry(tmp_path, mutate)
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        Registry(root)
    assert "3.json" in str(info.value)


def schema_cli(*args: str) -> subprocess.CompletedProcess:
    return forkserver.run([sys.executable, "-m", "scrapy", "schema", *args], cwd=ROOT, timeout=120)


def test_check_passes_on_the_registry():
    proc = schema_cli("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all chains compatible" in proc.stdout


def test_check_names_the_file_and_rule_of_a_breaking_version(tmp_path):
    def remove_body(schema):
        schema["required"].remove("body")
        del schema["properties"]["body"]

    root = broken_registry(tmp_path, remove_body)
    proc = schema_cli("check", "-s", f"SCHEMA_REGISTRY_DIR={root}")
    assert proc.returncode == 1
    assert "3.json: article@3 breaks BACKWARD_TRANSITIVE against article@1" in proc.stdout
    assert "property.removed.closed_model" in proc.stdout


def test_check_on_a_malformed_file_exits_2(tmp_path):
    root = broken_registry(tmp_path, lambda s: "{ not json")
    proc = schema_cli("check", "-s", f"SCHEMA_REGISTRY_DIR={root}")
    assert proc.returncode == 2 and "3.json: not JSON" in proc.stderr


def test_list_and_show():
    versions = ", ".join(map(str, VERSIONS))
    assert f"article\tversions {versions}\tlatest {LATEST}\tBACKWARD_TRANSITIVE" in schema_cli("list").stdout
    shown = json.loads(schema_cli("show", "article@1").stdout)
    assert shown == json.loads((SCHEMAS / "article" / "1.json").read_text())


def test_validate_groups_errors_by_path(tmp_path):
    good = json.loads((ROOT / "tests" / "data" / "article_v2.json").read_text())
    bad = dict(good, headline="", related=[dict(good["related"][0], url="not a url")])
    data = tmp_path / "d.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in (good, bad, bad)) + "\n")
    proc = schema_cli("validate", "article@2", str(data))
    assert proc.returncode == 1
    assert "2 of 3 records" in proc.stdout
    assert "     2  $.headline  [minLength]" in proc.stdout
    assert "     2  $.related[*].url  [format]" in proc.stdout
    data.write_text(json.dumps(good) + "\n")
    assert schema_cli("validate", "article@2", str(data)).returncode == 0
