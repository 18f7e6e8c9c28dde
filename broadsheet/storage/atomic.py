"""Feed storage for local files: a feed is committed whole, and only by a crawl that succeeded.

Items are written to a temporary file (``.<name>.<host>-<pid>.tmp`` beside the feed). When the crawl
closes:

- it succeeded (see ``broadsheet.storage.commit``): the file is fsynced and renamed over the
  feed, atomically. With ``-o`` (append) the new file is the old one plus this crawl's items, under
  the feed's lock (``.<name>.lock``): crawls appending to one feed at once all land in it.
- it failed a gate or was interrupted: the feed stays as it was; this crawl's items are kept in
  ``<feed>.failed-<crawl id>`` and the log says so.
- a write failed (full disk, read-only or missing folder): one error line naming the file, the
  crawl fails with ``failed_write`` (exit 1), the half-written file is removed and the feed
  stays as it was; when the file was whole and only its commit failed (the feed's path is a
  folder), it is kept as ``<feed>.failed-<crawl id>``.

With ``JOBDIR`` the feed belongs to the job, not to one run: each run's items are kept in
``<JOBDIR>/feeds/`` and every run that succeeds publishes all of the job's items, so resuming an
interrupted job with the same command completes its output instead of replacing it.

A crawl killed outright (SIGKILL) leaves its temporary file; the next crawl into the same feed
removes it and says so. Parquet cannot be appended to: ``-o x.parquet`` is refused before the
crawl starts (``check_feeds``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from w3lib.url import file_uri_to_path

from broadsheet.storage.commit import INTERRUPTED, crawl_id, effective_reason, keep_beside, succeeded, write_failed
from broadsheet.storage.files import (
    GuardedFile,
    append_lock,
    discard,
    make_folder,
    publish,
    publish_appended,
    remove_leftovers,
    writer_tag,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

APPEND_REFUSED = "Parquet cannot be appended to: use -O or DATASET_URI"


def check_feeds(settings: BaseSettings) -> None:
    """Refuse, before anything runs, feeds that can never be written: ``ValueError`` naming them."""
    for uri, options in settings.getdict("FEEDS").items():
        if (options or {}).get("format") == "parquet" and not (options or {}).get("overwrite", False):
            raise ValueError(f"-o {uri}: {APPEND_REFUSED}")


def _concatenate(fmt: str | None) -> Callable[[list[Path], IO[bytes]], None]:
    if fmt == "parquet":
        from broadsheet.exporters.parquet import concatenate

        return concatenate
    return _concatenate_bytes


def _concatenate_bytes(sources: list[Path], out: IO[bytes]) -> None:
    for source in sources:
        with source.open("rb") as f:
            shutil.copyfileobj(f, out)


class AtomicFileFeedStorage:
    """``FEED_STORAGES`` entry for ``file://`` URIs and plain paths."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None):
        self.path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)
        self.overwrite = bool((feed_options or {}).get("overwrite", False))
        self.format = (feed_options or {}).get("format")
        self.crawler = crawler
        jobdir = crawler.settings.get("JOBDIR") if crawler is not None else None
        key = hashlib.sha1(f"{self.path.absolute()}|{self.format}".encode()).hexdigest()[:12]
        self.segments = Path(jobdir) / "feeds" / f"{self.path.name}-{key}" if jobdir else None
        self.tmp = (self.segments or self.path.parent) / f".{self.path.name}.{writer_tag()}.tmp"
        self.file: GuardedFile | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
                     ) -> AtomicFileFeedStorage:
        """The storage of one feed of ``crawler``."""
        crawl_id(crawler)  # fixed now, so that every report names it
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def _failed(self, exc: Exception) -> None:
        if self.crawler is not None:
            write_failed(self.crawler, self.path, exc, "check the folder exists, is writable and has space")

    def open(self, spider: Spider) -> IO[bytes]:
        """The temporary file items are written to (never the feed itself)."""
        if self.format == "parquet" and not self.overwrite:
            self.file = GuardedFile(None, self._failed)
            self.file.fail(OSError(APPEND_REFUSED))
            return self.file
        try:
            make_folder(self.tmp.parent)
            remove_leftovers(self.tmp.parent / self.path.name)
            raw = self.tmp.open("wb")
        except OSError as exc:
            raw = None
            self.file = GuardedFile(None, self._failed)
            self.file.fail(exc)
        else:
            self.file = GuardedFile(raw, self._failed)
        return self.file

    def store(self, file: IO[bytes]) -> None:
        """Commit the feed if the crawl succeeded; else keep this crawl's items beside it."""
        guarded = self.file
        assert guarded is not None and self.crawler is not None
        guarded.finish()
        if guarded.failed is not None:
            discard(self.tmp)
            effective_reason(self.crawler)
            return
        try:
            self._settle()
        except (OSError, ValueError) as exc:
            self._failed(exc)
            self._keep_beside()

    def _keep_beside(self) -> None:
        """After a failed commit (the feed's path is a folder, the disk filled while combining):
        this crawl's complete file is kept as ``<feed>.failed-<crawl id>``, else removed."""
        assert self.crawler is not None
        if not self.tmp.exists():
            return
        try:
            keep_beside(self.crawler, self.tmp, self.path, effective_reason(self.crawler))
        except OSError:
            discard(self.tmp)

    def _settle(self) -> None:
        reason = effective_reason(self.crawler)
        ok = succeeded(self.crawler, reason)
        if self.segments is None:
            if not ok and not self.tmp.stat().st_size:  # nothing produced: nothing to keep
                discard(self.tmp)
            elif not ok:
                keep_beside(self.crawler, self.tmp, self.path, reason)
            elif self.overwrite:
                publish(self.tmp, self.path)
            else:
                publish_appended(self.path, self.tmp)
            return
        if not ok and reason != INTERRUPTED:
            keep_beside(self.crawler, self.tmp, self.path, reason)
            return
        number = len(list(self.segments.glob("*.segment")))
        segment = self.segments / f"{number:05d}-{crawl_id(self.crawler)}.segment"
        os.replace(self.tmp, segment)
        segments = sorted(self.segments.glob("*.segment"))
        if not ok:
            logger.warning("JOBDIR crawl interrupted: %(path)s not committed; this run's items are kept in "
                           "%(segment)s. Run the same command again to resume the job and complete it",
                           {"path": self.path, "segment": segment})
            return
        if self.overwrite:  # -O: the feed holds every item of the job
            self._combine([], segments)
        else:  # -o: the feed gets the job's items not appended yet
            with append_lock(self.path):
                self._combine([self.path] if self.path.exists() else [], segments)
            for done in segments:
                done.unlink()

    def _combine(self, base: list[Path], new: list[Path]) -> None:
        """Publish ``base`` then ``new`` as the feed, whole; this run's temporary file is removed."""
        out = self.path.with_name(f".{self.path.name}.{writer_tag()}.combined.tmp")
        try:
            with out.open("wb") as f:
                _concatenate(self.format)(base + new, f)
                f.flush()
                os.fsync(f.fileno())
            publish(out, self.path)
        finally:
            discard(out)
        discard(self.tmp)

