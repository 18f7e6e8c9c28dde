"""A partitioned Parquet dataset that crawls add to safely: staging, a lock, a commit journal.

Layout under the dataset folder (``DATASET_URI``)::

    site=<site>/date=<day>/part-<crawl id>-<n>.parquet   published rows (what readers read)
    _manifest.json                                       every committed crawl: schema, files, rows, sha256
    _SUCCESS                                             the last committed crawl's id, written last
    _staging/<crawl id>/…/part-….parquet.staged          a running crawl's files, invisible to readers
    _staging/<crawl id>.lock                             held while that crawl runs
    _failed/<crawl id>/                                  what a failed or killed crawl produced
    _lock                                                held while a crawl commits

Readers never see a staged file: DuckDB, polars and Spark globs (``**/*.parquet``) do not match
``.staged``, and pyarrow, pandas and Spark skip folders starting with ``_``.

Commit: the crawl writes ``_staging/<id>/_commit.json`` (its manifest entry: from then on the
commit is decided), takes ``_lock`` (a real ``flock`` via ``filelock``: concurrent crawls queue,
none is lost), renames its files into place, adds its entry to ``_manifest.json`` (read, modify,
write under the lock, through a temporary name of its own), writes ``_SUCCESS`` and removes its
staging folder. Whoever takes the lock first also recovers what dead crawls left (their
``.lock`` is free): a crawl killed after deciding to commit is rolled forward, one killed before
is moved to ``_failed/`` and reported.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from broadsheet.storage.files import make_folder, write_text_atomically

logger = logging.getLogger(__name__)

MANIFEST = "_manifest.json"
SUCCESS = "_SUCCESS"
STAGING = "_staging"
FAILED = "_failed"
LOCK = "_lock"
JOURNAL = "_commit.json"
STAGED = ".staged"


def _json(path: Path, data: Any) -> None:
    write_text_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


class Dataset:
    """The dataset folder at ``root`` and the rules for writing into it."""

    def __init__(self, root: Path, lock_timeout: float = 600):
        self.root = root
        self.lock_timeout = lock_timeout

    def staging(self, crawl_id: str) -> Staging:
        """A staging folder for crawl ``crawl_id``, held (its ``.lock``) until it commits or fails."""
        make_folder(self.root / STAGING)
        return Staging(self, crawl_id)

    @contextlib.contextmanager
    def locked(self):
        """Hold the dataset's commit lock (``_lock``); a ``Timeout`` after ``lock_timeout`` seconds."""
        with FileLock(self.root / LOCK, timeout=self.lock_timeout):
            yield

    def recover(self) -> list[str]:
        """Under the lock: finish or set aside what dead crawls left; one message per leftover."""
        messages = []
        for folder in sorted((self.root / STAGING).glob("*")):
            if not folder.is_dir():
                continue
            alive = FileLock(folder.with_name(folder.name + ".lock"), timeout=0)
            try:
                alive.acquire()
            except Timeout:
                continue  # its crawl is running
            try:
                if (folder / JOURNAL).exists():
                    entry = self.apply(folder)
                    messages.append(f"committed crawl {folder.name}, killed while committing "
                                    f"({entry['rows']} rows in {len(entry['files'])} files)")
                else:
                    where = self.set_aside(folder, "killed before it committed")
                    messages.append(f"crawl {folder.name} was killed before it committed: its files are not "
                                    f"published; kept in {where}")
            finally:
                alive.release()
                with contextlib.suppress(OSError):
                    Path(alive.lock_file).unlink()
        for message in messages:
            logger.warning("Dataset %(root)s: %(message)s", {"root": self.root, "message": message})
        return messages

    def apply(self, folder: Path) -> dict[str, Any]:
        """Publish a staging folder whose journal is written: files, manifest entry, ``_SUCCESS``."""
        entry = json.loads((folder / JOURNAL).read_text(encoding="utf-8"))
        for file in entry["files"]:
            final = self.root / file["path"]
            staged = folder / (file["path"] + STAGED)
            if staged.exists():
                make_folder(final.parent)
                os.replace(staged, final)
            elif not final.exists():
                raise FileNotFoundError(f"{staged}: a staged file of crawl {entry['crawl_id']} is missing")
        manifest_path = self.root / MANIFEST
        manifest = (json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists()
                    else {"format": "parquet", "partitioning": ["site", "date"], "crawls": []})
        if not any(c["crawl_id"] == entry["crawl_id"] for c in manifest["crawls"]):
            manifest["crawls"].append(entry)
            _json(manifest_path, manifest)
        write_text_atomically(self.root / SUCCESS, entry["crawl_id"] + "\n")
        shutil.rmtree(folder)
        return entry

    def set_aside(self, folder: Path, reason: str, entry: dict[str, Any] | None = None) -> Path:
        """Move a staging folder to ``_failed/<crawl id>``, with why in ``_failed.json``."""
        where = self.root / FAILED / folder.name
        make_folder(where.parent)
        os.replace(folder, where)
        _json(where / "_failed.json", {"crawl_id": folder.name, "reason": reason, **(entry or {})})
        return where


class Staging:
    """One crawl's staging folder: where its part files are written before the commit."""

    def __init__(self, dataset: Dataset, crawl_id: str):
        self.dataset = dataset
        self.crawl_id = crawl_id
        self.folder = dataset.root / STAGING / crawl_id
        self.alive = FileLock(self.folder.with_name(crawl_id + ".lock"), timeout=0)
        self.alive.acquire()  # before the folder exists, so that no recovery takes it for dead
        self.folder.mkdir()

    def path(self, relative: str) -> Path:
        """Where the part file published at ``relative`` is staged."""
        path = self.folder / (relative + STAGED)
        make_folder(path.parent)
        return path

    def commit(self, entry: dict[str, Any]) -> list[str]:
        """Decide (journal), then publish under the lock; returns what recovery reported."""
        _json(self.folder / JOURNAL, entry)
        with self.dataset.locked():
            messages = self.dataset.recover()
            self.dataset.apply(self.folder)
        self.release()
        return messages

    def fail(self, reason: str, entry: dict[str, Any], keep: bool = True) -> Path | None:
        """Publish nothing: the staged files go to ``_failed/`` (or are removed, ``keep=False``)."""
        try:
            if keep:
                return self.dataset.set_aside(self.folder, reason, entry)
            shutil.rmtree(self.folder, ignore_errors=True)
            return None
        finally:
            self.release()

    def release(self) -> None:
        """Let go of the crawl's ``.lock`` and remove it."""
        self.alive.release()
        with contextlib.suppress(OSError):
            Path(self.alive.lock_file).unlink()
