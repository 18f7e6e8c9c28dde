"""Reading a cassette file strictly: every way it can be broken is named, with the file.

vcrpy treats an unreadable cassette as empty (and may then overwrite it) and reports YAML
errors against ``"<unicode string>"``. Here a cassette is parsed interaction by interaction (the
file's text and its YAML tree are never held whole; any other layout is parsed as one document),
and a git conflict marker, a YAML error, an unsafe ``!!python/...`` tag, a
file that is not UTF-8 or valid YAML of the wrong shape each raise ``CassetteError`` naming the
file, the place and what to do.
"""

from __future__ import annotations

import gzip
import multiprocessing
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

import yaml
import zstandard
from vcr.request import Request as VcrRequest
from vcr.serializers import compat

from broadsheet.cores import usable_cores
from broadsheet.errors import BadInput
from broadsheet.recording import serializer

CONFLICT_MARKERS = (b"<<<<<<<", b"=======", b">>>>>>>")
REMEDY = ("re-record it (VCR_RECORD_MODE=all) or import a capture with "
          "`scrapy cassette import HAR CASSETTE`")


class CassetteError(BadInput):
    """A cassette file that cannot be replayed; the message names the file and what to do."""


def conflict_marker_line(path: Path) -> int | None:
    """The first line (1-based) that starts with a git merge conflict marker, or None.

    A cassette written by PyYAML indents every continuation of a body, so a marker at the start
    of a line is never recorded text.
    """
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            if line.startswith(CONFLICT_MARKERS):
                return number
    return None


def _conflict_error(path: Path, line: int) -> CassetteError:
    return CassetteError(f"{path}: line {line} is a git merge conflict marker; resolve the conflict "
                         "(or `git checkout` the cassette) before replaying it")


class _ConflictMarker(Exception):
    """A line of the cassette starts with a git merge conflict marker (``args[0]``: its number)."""


def _yaml_error(path: Path, exc: yaml.YAMLError) -> CassetteError:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, yaml.constructor.ConstructorError) and "python/" in str(exc):
        return CassetteError(f"{path}: unsafe YAML tag{where} ({problem}); a cassette holds plain data "
                             f"only and is never loaded with Python tags: {REMEDY}")
    return CassetteError(f"{path}: not valid YAML{where}: {problem}; fix the file or {REMEDY}")


def _document_problem(data: Any) -> str | None:
    """What is wrong with a parsed cassette's top level (None when it maps ``interactions`` to a list)."""
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        return "not a VCR cassette (expected a mapping with an `interactions` list, version 1)"
    return None


def _interaction_problem(index: int, interaction: Any) -> str | None:
    """What is wrong with the shape of one recorded interaction (None when it is replayable)."""
    request = interaction.get("request") if isinstance(interaction, dict) else None
    response = interaction.get("response") if isinstance(interaction, dict) else None
    if not isinstance(request, dict) or not isinstance(response, dict):
        return f"interaction {index} has no request and response mappings"
    if not isinstance(request.get("uri"), str) or not isinstance(request.get("method"), str):
        return f"interaction {index}: request.uri and request.method must be strings"
    status = response.get("status")
    if not isinstance(status, dict) or not isinstance(status.get("code"), int):
        return f"interaction {index}: response.status.code must be a number"
    if not isinstance(response.get("headers", {}), dict):
        return f"interaction {index}: response.headers must be a mapping"
    body = response.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("string"), str | bytes | None):
        return f"interaction {index}: response.body.string must be text or bytes"
    return None


_COMPRESSOR = zstandard.ZstdCompressor(level=1)  # the reactor's thread only: never used concurrently
_DECOMPRESSOR = zstandard.ZstdDecompressor()


class CompressedBody:
    """A recorded body kept compressed (zstd level 1) in memory until it is played: a replay-only
    crawl holds its whole cassette, and its pages compress about fourfold (measured on the
    2,000-page benchmark: zstd 1 makes 39 MB of 153 MB in 0.8 s, zlib 1 44 MB in 2.6 s, and
    decompresses three times faster). Immutable, so vcrpy's deep copies share it."""

    __slots__ = ("data",)

    def __init__(self, body: bytes):
        # copied: python-zstandard's result keeps its worst-case allocation (the body's size)
        self.data = memoryview(_COMPRESSOR.compress(body)).tobytes()

    def __bytes__(self) -> bytes:
        return _DECOMPRESSOR.decompress(self.data)

    def __deepcopy__(self, memo: dict) -> CompressedBody:
        return self


def body_bytes(body: bytes | str | CompressedBody | None) -> bytes:
    """A recorded body as bytes, whichever way it is held (text is UTF-8)."""
    if isinstance(body, CompressedBody):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return body or b""


class _NotByInteraction(Exception):
    """The file cannot be parsed interaction by interaction: parse it whole."""


def _is_item(line: bytes) -> bool:
    return line.startswith(b"-") and line[1:2] in (b" ", b"\n", b"\r", b"")


def _parse_by_interaction(lines: Iterator[bytes]) -> Iterator[Any]:
    """The interactions of a cassette laid out as vcrpy and PyYAML write it (``interactions:``
    on the first line, each interaction a ``- `` item at column 0, other top-level keys after),
    each parsed alone, so only one interaction's YAML tree exists at a time.

    The lines are the file's bytes, handed to libyaml as they are (it checks the UTF-8 itself):
    decoding them here only for libyaml to encode each interaction again cost 0.15 s of a 172 MB
    cassette. Raises ``_ConflictMarker`` at a line starting with a git conflict marker (the
    lines are scanned here, not in a pass of their own), ``_NotByInteraction`` for any other
    layout and for any YAML error (a file that is not UTF-8 among them): the whole-document
    parse then gives the same data, or the error with the file's own line and column.
    """
    first = next(lines, b"")
    if first.startswith(CONFLICT_MARKERS):
        raise _ConflictMarker(1)
    if first.rstrip(b"\r\n") != b"interactions:":
        raise _NotByInteraction
    chunk: list[bytes] = []
    tail: list[bytes] = []

    def parsed() -> Any:
        try:
            items = serializer.deserialize(b"".join(chunk))
        except yaml.YAMLError as exc:
            raise _NotByInteraction from exc
        if not isinstance(items, list) or len(items) != 1:
            raise _NotByInteraction
        chunk.clear()
        return items[0]

    for number, line in enumerate(lines, 2):
        if line.startswith(CONFLICT_MARKERS):
            raise _ConflictMarker(number)
        if tail or not (_is_item(line) or line[:1] in (b" ", b"\t", b"\n", b"\r", b"#")):
            if _is_item(line):  # items after another top-level key: not the usual layout
                raise _NotByInteraction
            tail.append(line)
        elif _is_item(line) and chunk:
            yield parsed()
            chunk.append(line)
        elif chunk or _is_item(line) or not line.strip():
            chunk.append(line)
        else:  # indented items, or other text before the first one
            raise _NotByInteraction
    if not chunk:  # no interaction at all: the whole parse says what the file is
        raise _NotByInteraction
    yield parsed()
    try:
        rest = serializer.deserialize(b"".join(tail)) if tail else {}
    except yaml.YAMLError as exc:
        raise _NotByInteraction from exc
    if not isinstance(rest, dict) or "interactions" in rest:
        raise _NotByInteraction


def _open_text(path: Path) -> IO[str]:
    # cassette.yaml.gz: the same YAML, gzip-compressed
    return gzip.open(path, "rt", encoding="utf-8") if path.name.endswith(".gz") else path.open(encoding="utf-8")


def _whole_document(path: Path) -> list[Any]:
    """The interactions of the cassette parsed as one YAML document (any layout)."""
    with _open_text(path) as stream:
        data = serializer.deserialize(stream)
    if data is None:
        raise CassetteError(f"{path}: the cassette is empty; {REMEDY}")
    problem = _document_problem(data)
    if problem:
        raise CassetteError(f"{path}: {problem}; {REMEDY}")
    interactions = data.pop("interactions")
    interactions.reverse()
    while interactions:  # handed out one by one, so the parsed text is freed as bodies become bytes
        yield interactions.pop()


Recorded = tuple[list[VcrRequest], list[dict[str, Any]]]


def _converted(path: Path, interactions: Iterable[Any], compress: bool) -> Recorded:
    """vcrpy's requests and responses of parsed interactions (bodies bytes, or compressed)."""
    requests, responses = [], []
    interactions = iter(interactions)
    for index, interaction in enumerate(interactions):
        problem = _interaction_problem(index, interaction)
        if problem:
            for _ in interactions:  # a YAML error further on is named first, as a whole parse would
                pass
            raise CassetteError(f"{path}: {problem}; {REMEDY}")
        request = interaction["request"]
        requests.append(VcrRequest(request["method"], request["uri"], request.get("body"),
                                   request.get("headers") or {}))
        response = compat.convert_to_bytes(interaction["response"])
        if compress and isinstance(response["body"]["string"], bytes):
            response["body"]["string"] = CompressedBody(response["body"]["string"])
        responses.append(response)
    return requests, responses


PARALLEL_MIN_BYTES = 32 * 2**20
"""A cassette file at least this large (not gzip) is parsed in parts, one a core the process may use (at most
``PARALLEL_MAX_PARTS``), in forked processes: libyaml reads about 100 MB a second on one core, so the 172 MB
cassette of the corpora took 4.0 s of every crawl's start, 2.1 in two parts."""
PARALLEL_MAX_PARTS = 4


def _part_starts(path: Path, size: int, parts: int) -> list[int]:
    """Byte offsets, rising, that cut the file of ``size`` bytes into about ``parts`` equal ranges, each after the
    first starting at an interaction (a ``- `` item at column 0); fewer when the file has fewer interactions."""
    starts = [0]
    with path.open("rb") as stream:
        for part in range(1, parts):
            stream.seek(max(size * part // parts, starts[-1] + 1))
            stream.readline()  # to the next line's start
            while line := stream.readline():
                if _is_item(line):
                    starts.append(stream.tell() - len(line))
                    break
    return starts


def _range_lines(path: Path, start: int, end: int) -> Iterator[bytes]:
    """The file's lines from ``start`` to ``end``, as a cassette of their own (``interactions:`` first)."""
    with path.open("rb") as stream:
        stream.seek(start)
        if start:
            yield b"interactions:\n"
        while stream.tell() < end and (line := stream.readline()):
            yield line


def _read_range(path: Path, start: int, end: int, compress: bool) -> Recorded:
    return _converted(path, _parse_by_interaction(_range_lines(path, start, end)), compress)


def _read_in_parts(path: Path, compress: bool) -> Recorded | None:
    """The cassette parsed in parts, the first in this process, the others in forked ones at the same time
    (which leave Ctrl-C to this one); None when it is too small, the process may use one core, or any part
    fails to read as a cassette of its own: the whole parse then gives the data, or the error with the
    file's own line and column."""
    parts, size = min(usable_cores(), PARALLEL_MAX_PARTS), path.stat().st_size
    if parts < 2 or size < PARALLEL_MIN_BYTES or "fork" not in multiprocessing.get_all_start_methods():
        return None
    starts = _part_starts(path, size, parts)
    ranges = list(zip(starts, [*starts[1:], size], strict=True))
    if len(ranges) < 2:
        return None
    try:
        with ProcessPoolExecutor(len(ranges) - 1, mp_context=multiprocessing.get_context("fork"),
                                 initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)) as pool:
            others = [pool.submit(_read_range, path, start, end, compress) for start, end in ranges[1:]]
            requests, responses = _read_range(path, *ranges[0], compress)
            for future in others:
                more_requests, more_responses = future.result()
                requests += more_requests
                responses += more_responses
    except Exception:  # noqa: BLE001 - the whole parse names what is wrong, where
        return None
    return requests, responses


def read_cassette(path: str | Path, compress_bodies: bool = False) -> Recorded:
    """The recorded requests and responses of a cassette file, bodies as bytes
    (``compress_bodies``: as ``CompressedBody``, for a replay that never writes the cassette).

    Parsed interaction by interaction when the file is laid out as vcrpy writes it (a large file in parts on
    several cores, ``PARALLEL_MIN_BYTES``), else as one document. Raises ``CassetteError`` naming the file
    for an empty file, a file that is not UTF-8, a YAML error (a git conflict marker named as such), an unsafe
    tag or a wrong shape.
    """
    path = Path(path)
    try:
        compressed = path.name.endswith(".gz")  # never scanned for conflict markers
        recorded = None if compressed else _read_in_parts(path, compress_bodies)
        if recorded is not None:
            return recorded
        try:
            with gzip.open(path, "rb") if compressed else path.open("rb") as stream:
                return _converted(path, _parse_by_interaction(stream), compress_bodies)
        except _ConflictMarker as marker:
            if not compressed:
                raise _conflict_error(path, marker.args[0]) from None
        except _NotByInteraction:  # a marker further on is named before any YAML error, as a first scan would
            marker = None if compressed else conflict_marker_line(path)
            if marker is not None:
                raise _conflict_error(path, marker) from None
        return _converted(path, _whole_document(path), compress_bodies)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise CassetteError(f"{path}: cannot read the cassette ({getattr(exc, 'strerror', None) or exc})") from exc
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{path}: not UTF-8 text at byte {exc.start}; {REMEDY}") from exc
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from exc
