"""A crawl's record and the local history of records: one JSON file per run.

Default place: ``.scrapy/history/<spider>/`` in the project (Scrapy's project data folder,
ignored by git); ``HISTORY_URI`` moves it (``%(name)s`` = the spider). Each run is
``<run id>.json`` (the run id is its start time, so names sort by time), written atomically;
its report ``<run id>.html`` and the folder's ``index.html`` sit beside it. Only the newest
``HISTORY_KEEP`` runs are kept.

A record is built from the crawl's stats, read by prefix so that whatever the components count
there is recorded: ``broadsheet/pages/<outcome>`` (the outcome partition),
``broadsheet/coverage/<field>`` (field coverage, from ``FieldCoverage``),
``broadsheet/field/<field>/<source>`` (which source gave each field) and
``broadsheet/invalid/<path>/<keyword>`` (quarantine reasons).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from filelock import FileLock
from scrapy.utils.project import data_path

from broadsheet.storage.files import make_folder, write_text_atomically

FORMAT = 1
"""Version of the record format; bumped when a key changes meaning."""

PAGES = "broadsheet/pages/"
COVERAGE = "broadsheet/coverage/"
SOURCES = "broadsheet/field/"
INVALID = "broadsheet/invalid/"
DEFAULT_JOB = "default"
DEFAULT_URI = "history/%(name)s"  # inside Scrapy's project data folder, .scrapy/


def history_folder(uri: str | None, spider: str) -> Path:
    """The history folder of ``spider``: ``HISTORY_URI`` (``%(name)s`` = the spider) or the
    default, ``.scrapy/history/<spider>`` in the project."""
    return Path((uri or data_path(DEFAULT_URI)) % {"name": spider})


def run_id(start: dt.datetime) -> str:
    """``2026-12-02T17-08-07.421Z``: the start time (UTC, milliseconds), sortable and file-safe."""
    start = start.astimezone(dt.UTC)
    return start.strftime("%Y-%m-%dT%H-%M-%S.") + f"{start.microsecond // 1000:03d}Z"


def below(stats: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The stats under ``prefix``, keyed by the rest of their name, sorted."""
    return {key[len(prefix):]: value for key, value in sorted(stats.items()) if key.startswith(prefix)}


def sources_by_field(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """``broadsheet/field/<field>/<source>`` counts as field -> source -> count."""
    result: dict[str, dict[str, int]] = {}
    for rest, count in below(stats, SOURCES).items():
        field, _, source = rest.rpartition("/")
        if field and isinstance(count, (int, float)):
            result.setdefault(field, {})[source] = int(count)
    return result


def winner(counts: Mapping[str, int]) -> str | None:
    """The source that gave a field most often (ties: the first by name), None when none did."""
    return max(sorted(counts), key=lambda source: counts[source]) if counts else None


def _iso(value: Any) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if isinstance(value, dt.datetime) else value


def build_record(stats: Mapping[str, Any], *, spider: str, job: str, job_args: Mapping[str, str],
                 coverage: Mapping[str, float] | None = None,
                 outputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The record of one crawl from its stats. ``coverage`` overrides the coverage stats (the
    judgement runs before the crawl closes, when ``FieldCoverage`` has not published them yet)."""
    start = stats.get("start_time") or dt.datetime.now(dt.UTC)
    if coverage is None:
        coverage = {k: v for k, v in below(stats, COVERAGE).items() if k != "items"}
    reasons = {k: int(v) for k, v in below(stats, INVALID).items()}
    return {
        "format": FORMAT,
        "run_id": run_id(start),
        "spider": spider,
        "job": job,
        "job_args": dict(job_args),
        "start_time": _iso(start),
        "finish_time": _iso(stats.get("finish_time")),
        "duration_s": stats.get("elapsed_time_seconds"),
        "finish_reason": stats.get("finish_reason"),
        "schema": stats.get("broadsheet/schema"),
        "items": int(stats.get("item_scraped_count", 0)),
        "outcomes": {k: int(v) for k, v in below(stats, PAGES).items() if isinstance(v, (int, float))},
        "coverage": {k: float(v) for k, v in coverage.items()},
        "sources": sources_by_field(stats),
        "quarantine": {"count": int(stats.get("broadsheet/quarantined", 0)), "reasons": reasons},
        "requests": int(stats.get("downloader/request_count", 0)),
        "outputs": dict(outputs or {}),
    }


def is_good(record: Mapping[str, Any]) -> bool:
    """A run the next ones are judged against: it finished normally and was not failed."""
    return record.get("finish_reason") == "finished" and record.get("verdict") != "fail"


class History:
    """One spider's folder of run records."""

    def __init__(self, folder: Path, keep: int = 100):
        self.folder = folder
        self.keep = keep

    def paths(self) -> list[Path]:
        """Record files, oldest first."""
        return sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []

    def runs(self) -> list[dict[str, Any]]:
        """Every readable record, oldest first (an unreadable file is skipped, not fatal)."""
        records = []
        for path in self.paths():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and record.get("format") == FORMAT:
                records.append(record)
        return records

    def get(self, run: str) -> dict[str, Any]:
        """The record of ``run`` (its id, or a unique prefix of it); KeyError names what exists."""
        matches = [r for r in self.runs() if r["run_id"].startswith(run)]
        if len(matches) != 1:
            known = ", ".join(r["run_id"] for r in self.runs()[-5:]) or "none"
            raise KeyError(f"{'no' if not matches else 'more than one'} run {run!r} in {self.folder} "
                           f"(newest: {known})")
        return matches[0]

    def baseline(self, job: str, window: int, before: str | None = None) -> list[dict[str, Any]]:
        """The last ``window`` good runs of ``job`` (started before run ``before``), oldest first."""
        good = [r for r in self.runs() if r.get("job") == job and is_good(r)
                and (before is None or r["run_id"] < before)]
        return good[-window:] if window > 0 else []

    def report_path(self, run: str) -> Path:
        """Where the HTML report of ``run`` goes."""
        return self.folder / f"{run}.html"

    def write(self, record: dict[str, Any]) -> Path:
        """Store ``record`` atomically, then drop runs beyond ``keep`` (with their reports). A run id
        another crawl holds already (two crawls started in the same millisecond) is moved on by a
        millisecond until it is free, in ``record`` too, under the folder's lock."""
        make_folder(self.folder)
        with FileLock(self.folder / ".lock"):
            while (path := self.folder / f"{record['run_id']}.json").exists():
                record["run_id"] = run_id(dt.datetime.strptime(record["run_id"], "%Y-%m-%dT%H-%M-%S.%fZ").replace(
                    tzinfo=dt.UTC) + dt.timedelta(milliseconds=1))
            write_text_atomically(path, json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        for old in self.paths()[:-self.keep] if self.keep > 0 else []:
            old.unlink(missing_ok=True)
            old.with_suffix(".html").unlink(missing_ok=True)
        return path
