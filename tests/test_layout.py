"""The layout is the map: one kind of thing per folder, and `scrapy list` imports only spiders."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest
from conftest import ROOT

IMPORTED = r"""
import atexit, json, sys
OWN = ("spiders", "pipelines", "schemas", "broadsheet")
atexit.register(lambda: print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in OWN))))
"""


def own_modules_after(code: str) -> set[str]:
    """The checkout's modules loaded in a fresh interpreter running ``code`` from the root."""
    proc = subprocess.run([sys.executable, "-c", IMPORTED + code], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_scrapy_list_imports_only_spiders_settings_and_what_spiders_import():
    listed = own_modules_after("import sys; from scrapy.cmdline import execute; sys.argv = ['scrapy', 'list']; "
                               "execute()")
    spider_modules = sorted(f"spiders.{p.stem}" for p in (ROOT / "spiders").glob("*.py") if p.stem != "__init__")
    allowed = own_modules_after("import " + ", ".join(["broadsheet.settings", *spider_modules]))
    commands = {m for m in listed if m.startswith("broadsheet.commands")}  # Scrapy's command table
    assert listed - commands <= allowed, sorted(listed - commands - allowed)
    assert not any(m.startswith(("pipelines", "broadsheet.testing", "broadsheet.recording")) for m in listed)


def classes_in(path) -> list[ast.ClassDef]:
    return [node for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.ClassDef)]


@pytest.mark.parametrize("path", sorted((ROOT / "spiders").glob("[!_]*.py")), ids=lambda p: p.name)
def test_every_module_in_spiders_defines_a_spider(path):
    def names_itself(node: ast.stmt) -> bool:
        return isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "name" for target in node.targets)

    named = [cls for cls in classes_in(path) if any(names_itself(node) for node in cls.body)]
    assert named, f"{path} defines no spider (no class with a name)"


@pytest.mark.parametrize("path", sorted((ROOT / "pipelines").glob("[!_]*.py")), ids=lambda p: p.name)
def test_every_module_in_pipelines_defines_an_item_pipeline(path):
    assert any(any(isinstance(node, ast.FunctionDef) and node.name == "process_item" for node in cls.body)
               for cls in classes_in(path)), f"{path} defines no item pipeline (no process_item)"


def test_no_build_or_run_artefact_is_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert not [p for p in tracked if ".egg-info/" in p or p.startswith(("quarantine/", "out/", "data/", "build/"))]
