"""The compatibility checker on data-driven cases (tests/compat_cases/*.json)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, crawl_ahead

from broadsheet.testing import forkserver
from schemas.compat import breaking, diff, pairs_to_check

CASES = sorted((Path(__file__).parent / "compat_cases").glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path):
    case = load(path)
    found = diff(case["old"], case["new"])
    assert sorted({d.rule for d in found}) == sorted(case["rules"]), [str(d) for d in found]
    assert (not breaking(found, "BACKWARD")) is case["backward"]
    assert (not breaking(found, "FORWARD")) is case["forward"]
    assert (not breaking(found, "FULL")) is (case["backward"] and case["forward"])
    assert not breaking(found, "NONE")
    if "path" in case:
        assert {d.path for d in found} == {case["path"]}


def test_at_least_the_rule_table():
    assert len(CASES) >= 30


def test_transitive_levels_check_every_earlier_version():
    assert pairs_to_check(3, "BACKWARD") == [(0, 1), (1, 2)]
    assert pairs_to_check(3, "BACKWARD_TRANSITIVE") == [(0, 1), (0, 2), (1, 2)]


def test_unknown_level_is_an_error():
    with pytest.raises(ValueError, match="unknown compatibility level"):
        breaking([], "SIDEWAYS")


def schema_cli(*args: str) -> subprocess.CompletedProcess:
    return forkserver.run([sys.executable, "-m", "scrapy", "schema", *args], cwd=ROOT, timeout=120)


def compat_at_each_level(folder: Path, path: Path) -> list[tuple[bool, subprocess.CompletedProcess]]:
    """``scrapy schema compat OLD NEW --level L`` of the case, for each level: whether the case says
    it is compatible there, and the process (run ahead, ``crawl_ahead``)."""
    case = load(path)
    old, new = folder / "old.json", folder / "new.json"
    old.write_text(json.dumps(case["old"]))
    new.write_text(json.dumps(case["new"]))
    return [(ok, schema_cli("compat", str(old), str(new), "--level", level))
            for level, ok in (("backward", case["backward"]), ("forward", case["forward"]),
                              ("full", case["backward"] and case["forward"]))]


@crawl_ahead(compat_at_each_level)
@pytest.mark.parametrize("path", [c for c in CASES if c.stem in (
    "add_optional_property_closed", "add_required_property_closed", "pattern_changed")], ids=lambda p: p.stem)
def test_compat_command_exit_codes(path, crawled):
    case = load(path)
    for ok, proc in crawled:
        assert proc.returncode == (0 if ok else 1), proc.stdout + proc.stderr
        if not ok:
            assert "BREAKS $" in proc.stdout and case["rules"][0] in proc.stdout


def test_compat_command_bad_input_exits_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = schema_cli("compat", str(bad), str(ROOT / "schemas/article/1.json"))
    assert proc.returncode == 2 and "bad.json" in proc.stderr and "not JSON" in proc.stderr
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"type": "strnig"}))
    proc = schema_cli("compat", str(invalid), str(ROOT / "schemas/article/1.json"))
    assert proc.returncode == 2 and "invalid.json" in proc.stderr and "Draft 2020-12" in proc.stderr


# jsoncompat ignores format and pattern (as Confluent does; we follow Apicurio) and refuses $id.
JSONCOMPAT_BLIND = ("format_", "pattern_", "annotations_changed")


def _without_ids(schema):
    if isinstance(schema, dict):
        return {k: _without_ids(v) for k, v in schema.items() if k != "$id"}
    if isinstance(schema, list):
        return [_without_ids(v) for v in schema]
    return schema


@pytest.mark.parametrize("path", [c for c in CASES if not c.stem.startswith(JSONCOMPAT_BLIND)],
                         ids=lambda p: p.stem)
def test_agrees_with_jsoncompat(path):
    import jsoncompat

    case = load(path)
    old, new = json.dumps(_without_ids(case["old"])), json.dumps(_without_ids(case["new"]))
    assert jsoncompat.check_compat(old, new, "deserializer") is case["backward"]
    assert jsoncompat.check_compat(old, new, "serializer") is case["forward"]


def test_registry_chain_agrees_with_jsoncompat():
    import jsoncompat

    from schemas.registry import default_registry

    registry = default_registry()
    refs = [version.ref for version in registry.all_versions() if version.subject == "article"]
    for older, newer in zip(refs, refs[1:], strict=False):
        old, new = (json.dumps(_without_ids(registry.get(r).schema)) for r in (older, newer))
        assert jsoncompat.check_compat(old, new, "deserializer") is True
    assert registry.check_chain("article") == [(older, newer, []) for i, newer in enumerate(refs) for older in refs[:i]]
