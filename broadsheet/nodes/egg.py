"""The project as a Python egg, the unit Scrapyd deploys and runs a crawl from.

Scrapyd imports an egg as a zip (``zipimport``) and starts ``scrapy crawl`` with the settings module
its ``scrapy`` entry point names. The egg holds the packages a crawl imports (``broadsheet``,
``spiders``, ``pipelines``, ``schemas``) with their data files (the schema files, the report
templates), and nothing else: no recordings, no tests. It is written here, straight from the
checkout, rather than by ``setup.py bdist_egg`` (which scrapyd-deploy would run in the checkout,
writing a ``setup.py`` and ``build/`` there, while ``pip install .`` must keep installing no packages).
"""

from __future__ import annotations

import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

from broadsheet import PROJECT_ROOT

PACKAGES = ("broadsheet", "spiders", "pipelines", "schemas")
"""Top-level packages a crawl imports."""

SKIPPED = ("__pycache__",)
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def egg_files(root: Path = PROJECT_ROOT) -> Iterator[tuple[Path, str]]:
    """Each file of the egg: its path in the checkout and its name in the zip, sorted."""
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not set(relative.parts) & set(SKIPPED) and path.suffix not in SKIPPED_SUFFIXES:
                yield path, relative.as_posix()


def missing_inits(names: list[str]) -> list[str]:
    """``__init__.py`` of each folder of modules that has none: zipimport cannot import a namespace
    package, so the egg makes each one a regular (empty) package."""
    folders = {name.rpartition("/")[0] for name in names if name.endswith(".py")}
    return sorted(f"{folder}/__init__.py" for folder in folders if f"{folder}/__init__.py" not in names)


def metadata(version: str, settings: str = "broadsheet.settings") -> dict[str, str]:
    """``EGG-INFO`` files: what pkg_resources needs to find the distribution and Scrapyd its settings."""
    return {
        "EGG-INFO/PKG-INFO": f"Metadata-Version: 2.1\nName: broadsheet\nVersion: {version}\n",
        "EGG-INFO/entry_points.txt": f"[scrapy]\nsettings = {settings}\n",
        "EGG-INFO/top_level.txt": "".join(f"{package}\n" for package in PACKAGES),
    }


def project_version(root: Path = PROJECT_ROOT) -> str:
    """The version ``pyproject.toml`` states."""
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def build_egg(destination: Path, root: Path = PROJECT_ROOT) -> Path:
    """Write the egg of the checkout at ``root`` to ``destination``; returns it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as egg:
        files = list(egg_files(root))
        for path, name in files:
            egg.write(path, name)
        for name in missing_inits([name for _, name in files]):
            egg.writestr(name, "")
        for name, text in metadata(project_version(root)).items():
            egg.writestr(name, text)
    return destination
