"""The crawl state: what earlier runs saw of each story, kept in SQLite (WAL) between runs.

``CrawlState.open(directory)`` takes the folder's lock (a second concurrent writer is refused with
``StateLocked`` naming the holder), opens ``state.sqlite`` and starts ONE write transaction for
the whole run. ``CrawlState.open(None)`` is the same store in memory, for crawls without
``CRAWL_STATE``.

Publication and the state's commit are one ordered step that survives SIGKILL at any point:

1. during the run every row the run changes first has its before-image kept (``undo_<table>``,
   ``undo_absent``), in the same transaction;
2. ``prepare(pending)``, BEFORE any output is published: the run's changes, their before-images
   and ``pending`` (the crawl id and how to tell whether its outputs were published, see
   ``broadsheet/state/publication.py``) are committed together, atomically;
3. the outputs are published (feeds renamed into place, the dataset committed);
4. ``finish()`` drops the before-images and ``pending``; ``rollback()`` (the crawl failed, so
   nothing was published) restores them.

A run killed before 2 left nothing: the next run sees the previous state. A run killed between 2
and 4 left ``pending``: the next ``open`` (``judge``) looks at the outputs: published, the run's
changes are kept; not published, they are undone. Either way every story reaches the outputs
once: none is lost, none exported twice.

Tables: ``records`` (one row per record: story and language), ``urls`` (every URL a record was
fetched, announced or declared at, to its record), ``documents`` (discovery documents and their
last ``<lastmod>``), ``story_bands`` (the near-duplicate index, see ``stories.py``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

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
create table if not exists undo_absent (tbl text, key, primary key (tbl, key)) without rowid;
"""
_TRACKED = {"records": "key", "urls": "url", "documents": "url", "story_bands": "band"}
"""Tables a run changes, and their keys: each changed row's before-image is kept until ``finish``."""
_UNDO_DDL = "".join(f"create table if not exists undo_{table} as select * from {table} limit 0;\n"
                    for table in _TRACKED)


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
        self._touched: set[tuple[str, object]] = set()
        self._prepared = False

    @classmethod
    def open(cls, directory: str | Path | None, judge: Callable[[dict], bool] | None = None) -> CrawlState:
        """Lock ``directory`` (created if missing), open its database, settle what a killed run
        left (``judge(pending)``: whether that run published its outputs; without a judge, it
        did not) and begin the run's transaction. ``None``: an in-memory state for this run only."""
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
        db.executescript(_DDL + _UNDO_DDL)
        db.execute("insert or ignore into meta values ('schema_version', ?)", (str(SCHEMA_VERSION),))
        state = cls(db, lock, directory)
        state._settle_killed_run(judge or (lambda pending: False))
        db.execute("begin immediate")
        return state

    def _settle_killed_run(self, judge: Callable[[dict], bool]) -> None:
        row = self.db.execute("select value from meta where key = 'pending'").fetchone()
        if row is None:
            return
        pending = json.loads(row[0])
        published = judge(pending)
        self.db.execute("begin immediate")
        if not published:
            self._undo()
        self._forget_undo()
        self.db.execute("commit")
        logger.warning("CRAWL_STATE=%(dir)s: crawl %(id)s was killed while publishing; its outputs were "
                       "%(what)s, so its state is %(done)s", {
                           "dir": self.directory, "id": pending.get("crawl_id"),
                           "what": "published" if published else "not published",
                           "done": "kept" if published else "undone (its stories come again)"})

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

    def live_sitemaps(self) -> set[str]:
        """Every complete sitemap file that lists a live record."""
        return {row[0] for row in self.db.execute("select distinct sitemap from records where sitemap is not null "
                                                  "and status = 'live'")}

    def least_recently_read(self, documents: list[str], limit: int) -> list[str]:
        """Up to ``limit`` of ``documents``, those read longest ago (never read: first)."""
        checked = {url: self.db.execute("select checked from documents where url = ?", (url,)).fetchone()
                   for url in documents}
        return sorted(documents, key=lambda url: (checked[url] or ("",))[0] or "")[:max(limit, 0)]

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

    def stories_sharing(self, bands: list[int]) -> Iterator[str]:
        """The story of each indexed band among ``bands`` (one per band that matches)."""
        marks = ",".join("?" * len(bands))
        yield from (row[0] for row in self.db.execute(f"select story from story_bands where band in ({marks})",
                                                      bands))

    # --- writes (within the run's transaction) ----------------------------------------------

    def _remember(self, table: str, keys: Iterable[object]) -> None:
        """Keep the before-image of each row of ``table`` this run is about to change (once)."""
        if self.directory is None:
            return  # an in-memory state is never published against
        column = _TRACKED[table]
        for key in keys:
            if (table, key) in self._touched:
                continue
            self._touched.add((table, key))
            copied = self.db.execute(f"insert into undo_{table} select * from {table} where {column} = ?", (key,))
            if not copied.rowcount:
                self.db.execute("insert or ignore into undo_absent values (?, ?)", (table, key))

    def index_bands(self, bands: list[int], story: str) -> None:
        """Index ``story`` under each of ``bands`` not indexed yet."""
        self._remember("story_bands", bands)
        self.db.executemany("insert or ignore into story_bands values (?, ?)", [(b, story) for b in bands])

    def save(self, record: Record, urls: Iterable[str] = ()) -> None:
        """Insert or replace ``record`` and map ``urls`` (and its own URL) to it."""
        self._remember("records", [record.key])
        values = {c: getattr(record, c) for c in _COLUMNS}
        for name in _JSON:
            values[name] = json.dumps(values[name], sort_keys=True, separators=(",", ":"))
        self.db.execute(f"insert or replace into records ({', '.join(_COLUMNS)}) values "
                        f"({', '.join('?' * len(_COLUMNS))})", tuple(values.values()))
        self.map_urls(record.key, [u for u in (record.url, *urls) if u])

    def map_urls(self, key: str, urls: Iterable[str]) -> None:
        """Remember that each of ``urls`` belongs to record ``key``."""
        urls = list(dict.fromkeys(urls))
        self._remember("urls", urls)
        self.db.executemany("insert or replace into urls values (?, ?)", [(u, key) for u in dict.fromkeys(urls)])

    def set_document_lastmod(self, url: str, lastmod: str | None, checked: str) -> None:
        """Remember the ``<lastmod>`` of a discovery document that was read this run."""
        self._remember("documents", [url])
        self.db.execute("insert or replace into documents values (?, ?, ?)", (url, lastmod, checked))

    # --- the run's end ------------------------------------------------------------------------

    def prepare(self, pending: dict) -> None:
        """Before any output is published: commit the run's changes with their before-images and
        ``pending`` (JSON: the crawl id and its outputs), atomically; the lock stays held."""
        self.db.execute("insert or replace into meta values ('pending', ?)", (json.dumps(pending, sort_keys=True),))
        self.db.execute("commit")
        self._prepared = True
        self.db.execute("begin immediate")

    def finish(self) -> None:
        """The outputs are published: the run's changes stay; the lock is released."""
        self._forget_undo()
        self.commit()

    def rollback(self) -> None:
        """The run published nothing: its changes are undone (also when prepared); lock released."""
        if self._prepared:
            self._undo()
            self._forget_undo()
            self.commit()
            return
        self.close()

    def commit(self) -> None:
        """Make the run's changes durable (one atomic commit) and release the lock."""
        if self.db.in_transaction:
            self.db.execute("commit")
        self.close()

    def _undo(self) -> None:
        for table, column in _TRACKED.items():
            self.db.execute(f"delete from {table} where {column} in (select {column} from undo_{table}) or "
                            f"{column} in (select key from undo_absent where tbl = ?)", (table,))
            self.db.execute(f"insert into {table} select * from undo_{table}")

    def _forget_undo(self) -> None:
        for table in _TRACKED:
            self.db.execute(f"delete from undo_{table}")
        self.db.execute("delete from undo_absent")
        self.db.execute("delete from meta where key = 'pending'")
        self._touched.clear()

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

