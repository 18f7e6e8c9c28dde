"""A crawl's side files (quarantine, coverage and stats reports, manifests): where, and how.

Side files go beside the crawl's first local feed unless a setting names them, and every file is
written whole: to a temporary name of its own in the same folder (unique per writer, so that
concurrent writers never share one), fsynced, then renamed over the final one. A reader sees the
old file or the whole new one; a writer that fails (a full disk) leaves the old file as it was.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from filelock import FileLock

logger = logging.getLogger(__name__)

HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


def _first_local_feed(feeds: dict[str, Any], spider_name: str) -> tuple[Path, dict[str, Any]] | None:
    """The first feed written to a local file, its path and options (side files go beside it), or None."""
    for uri, options in feeds.items():
        parsed = urlparse(str(uri))
        if parsed.scheme not in ("", "file"):
            continue
        try:
            path = Path((parsed.path if parsed.scheme == "file" else str(uri)) % {"name": spider_name})
        except (KeyError, ValueError, TypeError):  # other URI parameters: no stable name
            continue
        return path, options or {}
    return None


def beside_feed(feeds: dict[str, Any], spider_name: str, suffix: str) -> Path | None:
    """``<feed folder>/<feed stem><suffix>`` for the first local feed (``out/x.jsonl`` with
    ``.coverage.json`` -> ``out/x.coverage.json``), or None when no feed is a local file."""
    found = _first_local_feed(feeds, spider_name)
    return found[0].with_name(found[0].name.split(".")[0] + suffix) if found else None


def side_file(settings: Any, setting: str, spider_name: str, suffix: str) -> Path | None:
    """Where a side file goes: the path the ``setting`` names (``%(name)s`` = spider), else beside
    the first local feed with ``suffix``, else None."""
    uri = settings.get(setting)
    if uri:
        return Path(uri % {"name": spider_name})
    return beside_feed(settings.getdict("FEEDS"), spider_name, suffix)


def make_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents); an error names a file that stands in the way."""
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            raise NotADirectoryError(f"{part} is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)


def writer_tag() -> str:
    """This process's part of its temporary names (``<host>-<pid>``), so that the leftovers of a
    killed writer are told from a live one's (``remove_leftovers``)."""
    return f"{HOST}-{os.getpid()}"


def process_alive(pid: int) -> bool:
    """Whether a process of this machine with that id is running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(path: Path) -> None:
    """Remove, and log, the temporary files of writers of ``path`` (``.<name>.<host>-<pid>...tmp``)
    that were killed: this machine's processes that are gone. A live writer's file, or another
    machine's on a shared folder, is left alone."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\w+)-(\d+)(?:-[0-9a-f]{{8}})?(?:\.combined)?\.tmp")
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        match = pattern.fullmatch(leftover.name)
        if match and match[1] == HOST and int(match[2]) != os.getpid() and not process_alive(int(match[2])):
            leftover.unlink(missing_ok=True)
            logger.warning("Removed %(file)s, left by a writer of %(path)s that was killed (process %(pid)s)",
                           {"file": leftover, "path": path, "pid": match[2]})


def temporary_beside(path: Path) -> Path:
    """A new, empty file of this writer's own in ``path``'s folder
    (``.<name>.<host>-<pid>-<random>.tmp``): hidden from dataset readers, and renamable over
    ``path`` atomically (same file system). Killed writers' leftovers are removed first."""
    make_folder(path.parent)
    remove_leftovers(path)
    while True:
        tmp = path.with_name(f".{path.name}.{writer_tag()}-{secrets.token_hex(4)}.tmp")
        try:  # 0o666 less the umask, like any new file (mkstemp's would be 0o600)
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


def discard(path: Path) -> None:
    """Remove a temporary file if it is there (and its folder still is)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def publish(tmp: Path, path: Path) -> None:
    """Rename the complete ``tmp`` over ``path`` and make the rename durable (fsync the folder)."""
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file to write ``path``'s new content to; on success it replaces ``path`` whole, on any
    error the temporary file is removed and ``path`` stays as it was. ``mode``: ``w`` or ``wb``."""
    tmp = temporary_beside(path)
    try:
        with tmp.open(mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        publish(tmp, path)
    except BaseException:
        discard(tmp)
        raise


def append_lock(path: Path) -> FileLock:
    """The append lock of ``path`` (``.<name>.lock`` beside it): writers appending to one file take
    turns, each reading the file as the one before left it, so none replaces another's lines."""
    return FileLock(path.with_name(f".{path.name}.lock"))


def publish_appended(path: Path, new: Path) -> None:
    """``path``'s lines followed by ``new``'s, published whole over ``path`` (a reader sees the old
    file or the new one) under its append lock; ``new`` is removed."""
    with append_lock(path):
        if not path.exists():  # nothing to append to: the new file is the file
            publish(new, path)
            return
        with atomic_writer(path, "wb") as out:
            for source in (path, new):
                with source.open("rb") as f:
                    shutil.copyfileobj(f, out)
        discard(new)


def feed_overwrites(settings: Any, spider_name: str) -> bool:
    """Whether the first local feed (the one side files go beside) is written anew (``-O``), not appended to."""
    found = _first_local_feed(settings.getdict("FEEDS"), spider_name)
    return bool(found and found[1].get("overwrite", False))


class GuardedFile:
    """The file exporters write to: the first failed write is reported (``write_failed``) and
    later writes go nowhere, so a full disk gives one error line, not one per item."""

    def __init__(self, file: IO[bytes] | None, on_error: Callable[[OSError], None]):
        self.file = file
        self.on_error = on_error
        self.failed: OSError | None = None

    def _guard(self, action: Callable[[], Any], default: Any = None) -> Any:
        if self.failed is None and self.file is not None:
            try:
                return action()
            except OSError as exc:
                self.fail(exc)
        return default

    def fail(self, exc: OSError) -> None:
        """Record and report the first failure."""
        if self.failed is None:
            self.failed = exc
            self.on_error(exc)

    def write(self, data: bytes) -> int:
        """Write, or drop the data after a failure."""
        return self._guard(lambda: self.file.write(data), len(data))

    def flush(self) -> None:
        """Flush, unless broken."""
        self._guard(lambda: self.file.flush())

    def tell(self) -> int:
        """Position of the underlying file."""
        return self.file.tell() if self.file is not None else 0

    @property
    def closed(self) -> bool:
        """Whether the underlying file is closed."""
        return self.file is None or self.file.closed

    def finish(self) -> None:
        """Flush, fsync and close: the data is on disk, or the failure is reported."""
        if self.file is not None and not self.file.closed:
            self._guard(lambda: (self.file.flush(), os.fsync(self.file.fileno())))
            try:
                self.file.close()
            except OSError as exc:
                self.fail(exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the whole new one."""
    with atomic_writer(path) as f:
        f.write(text)
