"""The crawl state: what earlier runs saw of each story, kept in SQLite (WAL) between runs.

``CrawlState.open(directory)`` takes the folder's lock (a second concurrent writer is refused with
``StateLocked`` naming the holder), opens ``state.sqlite`` and starts ONE write transaction for
the whole run; ``commit()`` ends it once the run's outputs are published. A run killed at any
point (even by SIGKILL) therefore leaves the state exactly as the last completed run left it:
its stories are requested and exported again by the next run, none is lost and none is counted
as exported twice. ``CrawlState.open(None)`` is the same store in memory, for crawls without
``CRAWL_STATE``.

Tables: ``records`` (one row per record: story and language), ``urls`` (every URL a record was
fetched, announced or declared at, to its record), ``documents`` (discovery documents and their
last ``<lastmod>``), ``story_bands`` (the near-duplicate index, see ``stories.py``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

DB_NAME = "state.sqlite"
LOCK_NAME = "lock"
SCHEMA_VERSION = 1

_DDL = """
create table if not exists meta (key text primary key, value text) without rowid;
create table if not exists records (
    key text primary key, site text, article_id text, language text, url text, status text not null,
    revision integer not null, fields text not null, signals text not null, sitemap text,
    date_published text, etag text, last_modified text, story text, checked text, exported text
) without rowid;
create table if not exists urls (url text primary key, key text not null) without rowid;
create index if not exists records_sitemap on records (sitemap) where sitemap is not null;
create table if not exists documents (url text primary key, lastmod text, checked text) without rowid;
create table if not exists story_bands (band integer primary key, story text not null) without rowid;
"""


class StateLocked(RuntimeError):
    """Another crawl holds the state folder."""


@dataclass
class Record:
    """What the state knows of one record (a story in one language)."""

    key: str
    status: str = "live"  # "live" or "removed"
    revision: int = 0
    fields: dict[str, str] = field(default_factory=dict)  # field name -> content hash
    signals: dict[str, str] = field(default_factory=dict)  # "<source>:<signal>" -> value
    site: str | None = None
    article_id: str | None = None
    language: str | None = None
    url: str | None = None
    sitemap: str | None = None  # the complete sitemap file that last listed it
    date_published: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    story: str | None = None
    checked: str | None = None  # when a run last fetched its page (reference time)
    exported: str | None = None  # when a run last exported it


_COLUMNS = ("key", "site", "article_id", "language", "url", "status", "revision", "fields", "signals", "sitemap",
            "date_published", "etag", "last_modified", "story", "checked", "exported")
_JSON = ("fields", "signals")


def _row_to_record(row: sqlite3.Row) -> Record:
    values = dict(zip(_COLUMNS, row, strict=True))
    for name in _JSON:
        values[name] = json.loads(values[name])
    return Record(**values)


class CrawlState:
    """One spider's state: looked up per URL, changed within the run's single transaction."""

    def __init__(self, db: sqlite3.Connection, lock: IO[str] | None, directory: Path | None):
        self.db = db
        self._lock = lock
        self.directory = directory

    @classmethod
    def open(cls, directory: str | Path | None) -> CrawlState:
        """Lock ``directory`` (created if missing), open its database and begin the run's
        transaction. ``None``: an in-memory state that lives for this run only."""
        lock = None
        if directory is None:
            db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            directory = Path(directory)
            directory.mkdir(parents=True, exist_ok=True)
            lock = _acquire(directory / LOCK_NAME)
            db = sqlite3.connect(directory / DB_NAME, isolation_level=None, check_same_thread=False)
            db.execute("pragma journal_mode=wal")
            db.execute("pragma synchronous=full")
            db.execute("pragma busy_timeout=2000")
        db.execute("pragma cache_size=-16000")  # 16 MB page cache, whatever the state's size
        db.executescript(_DDL)
        db.execute("insert or ignore into meta values ('schema_version', ?)", (str(SCHEMA_VERSION),))
        db.execute("begin immediate")
        return cls(db, lock, directory)

    # --- reads -------------------------------------------------------------------------------

    def record_for_url(self, url: str) -> Record | None:
        """The record a URL belongs to, if any run saw it."""
        row = self.db.execute(f"select {', '.join('r.' + c for c in _COLUMNS)} from urls u join records r "
                              "on r.key = u.key where u.url = ?", (url,)).fetchone()
        return _row_to_record(row) if row else None

    def record(self, key: str) -> Record | None:
        """The record with this key, if any run saw it."""
        row = self.db.execute(f"select {', '.join(_COLUMNS)} from records where key = ?", (key,)).fetchone()
        return _row_to_record(row) if row else None

    def live_in_sitemap(self, sitemap: str) -> Iterator[Record]:
        """Live records that the complete sitemap ``sitemap`` listed last time."""
        rows = self.db.execute(f"select {', '.join(_COLUMNS)} from records where sitemap = ? and status = 'live'",
                               (sitemap,))
        yield from (_row_to_record(row) for row in rows)

    def unsignalled(self, published_since: str, limit: int, exclude: set[str]) -> list[Record]:
        """Up to ``limit`` live records published since ``published_since`` that no complete
        sitemap lists (no change signal), least recently fetched first, skipping ``exclude`` keys."""
        rows = self.db.execute(f"select {', '.join(_COLUMNS)} from records where status = 'live' and sitemap is null "
                               "and date_published >= ? order by checked limit ?",
                               (published_since, limit + len(exclude)))
        return [r for r in map(_row_to_record, rows) if r.key not in exclude][:limit]

    def document_lastmod(self, url: str) -> str | None:
        """The ``<lastmod>`` a sitemap index gave this document last time."""
        row = self.db.execute("select lastmod from documents where url = ?", (url,)).fetchone()
        return row[0] if row else None

    def count(self, status: str | None = None) -> int:
        """How many records (with ``status``, when given)."""
        if status is None:
            return self.db.execute("select count(*) from records").fetchone()[0]
        return self.db.execute("select count(*) from records where status = ?", (status,)).fetchone()[0]

    # --- writes (within the run's transaction) ----------------------------------------------

    def save(self, record: Record, urls: Iterable[str] = ()) -> None:
        """Insert or replace ``record`` and map ``urls`` (and its own URL) to it."""
        values = {c: getattr(record, c) for c in _COLUMNS}
        for name in _JSON:
            values[name] = json.dumps(values[name], sort_keys=True, separators=(",", ":"))
        self.db.execute(f"insert or replace into records ({', '.join(_COLUMNS)}) values "
                        f"({', '.join('?' * len(_COLUMNS))})", tuple(values.values()))
        self.map_urls(record.key, [u for u in (record.url, *urls) if u])

    def map_urls(self, key: str, urls: Iterable[str]) -> None:
        """Remember that each of ``urls`` belongs to record ``key``."""
        self.db.executemany("insert or replace into urls values (?, ?)", [(u, key) for u in dict.fromkeys(urls)])

    def set_document_lastmod(self, url: str, lastmod: str | None, checked: str) -> None:
        """Remember the ``<lastmod>`` of a discovery document that was read this run."""
        self.db.execute("insert or replace into documents values (?, ?, ?)", (url, lastmod, checked))

    # --- the run's end ------------------------------------------------------------------------

    def commit(self) -> None:
        """Make the run's changes durable (one atomic commit) and release the lock."""
        if self.db.in_transaction:
            self.db.execute("commit")
        self.close()

    def close(self) -> None:
        """Close without committing: the run's changes are discarded."""
        self.db.close()
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None


def _acquire(path: Path) -> IO[str]:
    """An exclusive, non-blocking lock on ``path``, released when the holder exits (even killed)."""
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while the run holds the lock
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StateLocked(f"CRAWL_STATE={path.parent} is in use by {holder}: two crawls cannot share one crawl "
                          "state; wait for it to finish, or give this crawl another CRAWL_STATE") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}\n")
    handle.flush()
    return handle


def utc_text(moment: dt.datetime) -> str:
    """An instant as the state writes it (RFC 3339 UTC with Z, comparable as text)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

