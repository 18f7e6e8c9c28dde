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

Tables, kept small (about 0.4 KB per story with its URLs and story bands; see
``benchmarks/bench_state.py``): ``records`` (one row per record: story and language; its content
hashes and change signals as packed 8-byte digests, ``<name id><digest>``, names in ``names``;
its sitemap as a ``documents`` id), ``urls`` (the 64-bit hash of every URL a record was fetched,
announced or declared at, to its record), ``documents`` (discovery documents and their last
``<lastmod>``), ``stories`` and ``story_bands`` (the near-duplicate index: 32-bit band keys to a
story id, see ``stories.py``). New databases use incremental auto-vacuum: what a run frees (the
before-images) is given back to the file system when it finishes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

DB_NAME = "state.sqlite"
LOCK_NAME = "lock"
SCHEMA_VERSION = 2

_DDL = """
create table if not exists meta (key text primary key, value text) without rowid;
create table if not exists names (id integer primary key, name text not null unique);
create table if not exists records (
    key text primary key, site text, article_id text, language text, url text, status text not null,
    revision integer not null, fields blob not null, signals blob not null, sitemap integer,
    date_published integer, etag text, last_modified text, story text, checked integer, exported integer
) without rowid;
create table if not exists urls (hash integer primary key, key text not null) without rowid;
create index if not exists records_sitemap on records (sitemap) where sitemap is not null;
create index if not exists records_unsignalled on records (date_published) where sitemap is null and status = 'live';
create table if not exists documents (id integer primary key, url text not null unique, lastmod text, checked text);
create table if not exists stories (id integer primary key, key text not null unique);
create table if not exists story_bands (band integer primary key, story integer not null) without rowid;
create table if not exists undo_absent (tbl text, key, primary key (tbl, key)) without rowid;
"""
_TRACKED = {"names": "id", "records": "key", "urls": "hash", "documents": "url", "stories": "key",
            "story_bands": "band"}
"""Tables a run changes, and their keys: each changed row's before-image is kept until ``finish``."""
_UNDO_DDL = "".join(f"create table if not exists undo_{table} as select * from {table} limit 0;\n"
                    for table in _TRACKED)
DIGEST = 8  # bytes of each field's and signal's content hash
_PAIR = struct.Struct(f">H{DIGEST}s")  # a packed (name id, digest) pair


def url_hash(url: str) -> int:
    """The 64-bit key a URL is stored under (``urls.hash``)."""
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


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
_PACKED = ("fields", "signals")
_TIMES = ("date_published", "checked", "exported")  # stored as epoch seconds, read as RFC 3339 UTC


def _epoch(text: str | None) -> int | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp())


def _time_text(epoch: int | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


_SELECT = f"select {', '.join(_COLUMNS)} from records"
_SELECT_BY_URL = (f"select {', '.join('r.' + c for c in _COLUMNS)} from urls u join records r on r.key = u.key "
                  "where u.hash = ?")


class StateVersionError(RuntimeError):
    """The state folder was written by another version of its layout."""


class CrawlState:
    """One spider's state: looked up per URL, changed within the run's single transaction."""

    def __init__(self, db: sqlite3.Connection, lock: IO[str] | None, directory: Path | None):
        self.db = db
        self._lock = lock
        self.directory = directory
        self._touched: set[tuple[str, object]] = set()
        self._prepared = False
        self._names: dict[str, int] = {}
        self._documents: dict[str, int] = {}
        self._load_dictionaries()

    def _load_dictionaries(self) -> None:
        self._names = dict(self.db.execute("select name, id from names"))
        self._documents = dict(self.db.execute("select url, id from documents"))
        self._name_of = {v: k for k, v in self._names.items()}
        self._document_of = {v: k for k, v in self._documents.items()}

    def _pack(self, digests: dict[str, str]) -> bytes:
        """``{name: 16 hex digits}`` as ``<2-byte name id><8-byte digest>`` pairs, sorted by name."""
        out = bytearray()
        for name in sorted(digests):
            if name not in self._names:
                self._names[name] = self.db.execute("insert into names (name) values (?)", (name,)).lastrowid
                self._name_of[self._names[name]] = name
                self._remember_new("names", self._names[name])
            out += _PAIR.pack(self._names[name], bytes.fromhex(digests[name]))
        return bytes(out)

    def _unpack(self, packed: bytes) -> dict[str, str]:
        return {self._name_of[name]: value.hex() for name, value in _PAIR.iter_unpack(packed)}

    def _document_id(self, url: str | None) -> int | None:
        if url is None:
            return None
        if url not in self._documents:
            self._remember("documents", [url])
            self._documents[url] = self.db.execute("insert into documents (url) values (?)", (url,)).lastrowid
            self._document_of[self._documents[url]] = url
        return self._documents[url]

    def _record(self, row: tuple | None) -> Record | None:
        if row is None:
            return None
        values = dict(zip(_COLUMNS, row, strict=True))
        for name in _PACKED:
            values[name] = self._unpack(values[name])
        values["sitemap"] = self._document_of.get(values["sitemap"])
        for name in _TIMES:
            values[name] = _time_text(values[name])
        return Record(**values)

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
            db.execute("pragma auto_vacuum=incremental")  # before anything is written: a new database only
            db.execute("pragma journal_mode=wal")
            db.execute("pragma synchronous=full")
            db.execute("pragma busy_timeout=2000")
        db.execute("pragma cache_size=-16000")  # 16 MB page cache, whatever the state's size
        try:
            _check_version(db, directory)
        except StateVersionError:
            db.close()
            if lock is not None:
                lock.close()
            raise
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
        self._load_dictionaries()
        logger.warning("CRAWL_STATE=%(dir)s: crawl %(id)s was killed while publishing; its outputs were "
                       "%(what)s, so its state is %(done)s", {
                           "dir": self.directory, "id": pending.get("crawl_id"),
                           "what": "published" if published else "not published",
                           "done": "kept" if published else "undone (its stories come again)"})

    # --- reads -------------------------------------------------------------------------------

    def record_for_url(self, url: str) -> Record | None:
        """The record a URL belongs to, if any run saw it."""
        return self._record(self.db.execute(_SELECT_BY_URL, (url_hash(url),)).fetchone())

    def record(self, key: str) -> Record | None:
        """The record with this key, if any run saw it."""
        return self._record(self.db.execute(f"{_SELECT} where key = ?", (key,)).fetchone())

    def live_in_sitemap(self, sitemap: str) -> Iterator[Record]:
        """Live records that the complete sitemap ``sitemap`` listed last time."""
        if sitemap not in self._documents:
            return
        rows = self.db.execute(f"{_SELECT} where sitemap = ? and status = 'live'",
                               (self._documents[sitemap],))
        yield from (self._record(row) for row in rows)

    def unsignalled(self, published_since: str, limit: int, exclude: set[str]) -> list[Record]:
        """Up to ``limit`` live records published since ``published_since`` that no complete
        sitemap lists (no change signal), least recently fetched first, skipping ``exclude`` keys."""
        rows = self.db.execute(f"{_SELECT} where status = 'live' and sitemap is null "
                               "and date_published >= ? order by checked limit ?",
                               (_epoch(published_since), limit + len(exclude)))
        return [r for r in map(self._record, rows) if r.key not in exclude][:limit]

    def live_sitemaps(self) -> set[str]:
        """Every complete sitemap file that lists a live record."""
        return {self._document_of[row[0]] for row in self.db.execute(
            "select distinct sitemap from records where sitemap is not null and status = 'live'")}

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

    def story_sharing_most(self, bands: list[int]) -> tuple[str, int] | None:
        """The story sharing the most of ``bands`` and how many (of two as many, the older story), or None."""
        marks = ",".join("?" * len(bands))
        return self.db.execute(
            f"select s.key, count(*) as n from story_bands b join stories s on s.id = b.story "
            f"where b.band in ({marks}) group by b.story order by n desc, b.story limit 1", bands).fetchone()

    def story_of_article(self, site: str | None, article_id: str) -> str | None:
        """The story of any record of this site's article (another language, another locale)."""
        prefix = f"{site}:{article_id}:"
        row = self.db.execute("select story from records where key >= ? and key < ? and story is not null limit 1",
                              (prefix, prefix[:-1] + ";")).fetchone()  # ";" follows ":"
        return row[0] if row else None

    # --- writes (within the run's transaction) ----------------------------------------------

    def _remember(self, table: str, keys: Iterable[object]) -> None:
        """Keep the before-image of each row of ``table`` this run is about to change (once)."""
        if self.directory is None:
            return  # an in-memory state is never published against
        column = _TRACKED[table]
        fresh = [key for key in dict.fromkeys(keys) if (table, key) not in self._touched]
        if not fresh:
            return
        self._touched.update((table, key) for key in fresh)
        marks = ",".join("?" * len(fresh))
        present = {row[0] for row in self.db.execute(f"select {column} from {table} where {column} in ({marks})",
                                                     fresh)}
        if present:
            self.db.execute(f"insert into undo_{table} select * from {table} where {column} in "
                            f"({','.join('?' * len(present))})", list(present))
        self.db.executemany("insert or ignore into undo_absent values (?, ?)",
                            [(table, key) for key in fresh if key not in present])

    def _remember_new(self, table: str, key: object) -> None:
        """A row this run inserted under a key it only now knows: undone by deleting it."""
        if self.directory is not None:
            self._touched.add((table, key))
            self.db.execute("insert or ignore into undo_absent values (?, ?)", (table, key))

    def index_bands(self, bands: list[int], story: str) -> None:
        """Index ``story`` under each of ``bands`` not indexed yet."""
        self._remember("stories", [story])
        self.db.execute("insert or ignore into stories (key) values (?)", (story,))
        (story_id,) = self.db.execute("select id from stories where key = ?", (story,)).fetchone()
        self._remember("story_bands", bands)
        self.db.executemany("insert or ignore into story_bands values (?, ?)", [(b, story_id) for b in bands])

    def save(self, record: Record, urls: Iterable[str] = ()) -> None:
        """Insert or replace ``record`` and map ``urls`` (and its own URL) to it."""
        self._remember("records", [record.key])
        values = {c: getattr(record, c) for c in _COLUMNS}
        for name in _PACKED:
            values[name] = self._pack(values[name])
        values["sitemap"] = self._document_id(record.sitemap)
        for name in _TIMES:
            values[name] = _epoch(values[name])
        self.db.execute(f"insert or replace into records ({', '.join(_COLUMNS)}) values "
                        f"({', '.join('?' * len(_COLUMNS))})", tuple(values.values()))
        self.map_urls(record.key, [u for u in (record.url, *urls) if u])

    def map_urls(self, key: str, urls: Iterable[str]) -> None:
        """Remember that each of ``urls`` belongs to record ``key``."""
        hashes = [url_hash(u) for u in dict.fromkeys(urls)]
        self._remember("urls", hashes)
        self.db.executemany("insert or replace into urls values (?, ?)", [(h, key) for h in hashes])

    def set_document_lastmod(self, url: str, lastmod: str | None, checked: str) -> None:
        """Remember the ``<lastmod>`` of a discovery document that was read this run."""
        self._document_id(url)
        self._remember("documents", [url])
        self.db.execute("update documents set lastmod = ?, checked = ? where url = ?", (lastmod, checked, url))

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

    def commit(self) -> None:
        """Make the run's changes durable (one atomic commit), give freed pages back, release the lock."""
        if self.db.in_transaction:
            self.db.execute("commit")
        self.db.execute("pragma incremental_vacuum")
        self.db.execute("pragma wal_checkpoint(truncate)")
        self.close()

    def rollback(self) -> None:
        """The run published nothing: its changes are undone (also when prepared); lock released."""
        if self._prepared:
            self._undo()
            self._forget_undo()
            self.commit()
            return
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


def _check_version(db: sqlite3.Connection, directory: Path | None) -> None:
    """Refuse a state written in another layout, saying what to do."""
    if not db.execute("select 1 from sqlite_master where name = 'meta'").fetchone():
        return
    row = db.execute("select value from meta where key = 'schema_version'").fetchone()
    if row is not None and row[0] != str(SCHEMA_VERSION):
        raise StateVersionError(f"CRAWL_STATE={directory} holds a crawl state of layout {row[0]}; this Broadsheet "
                                f"reads layout {SCHEMA_VERSION}: move the folder away (the next crawl is then a full "
                                "one) or give this crawl another CRAWL_STATE")


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

