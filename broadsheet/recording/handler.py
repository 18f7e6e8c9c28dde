"""A Scrapy download handler that replays and records VCR cassettes.

The cassette is loaded, matched and written by vcrpy itself, so the YAML format (version 1, as
pytest-recording writes it), the request matchers and the record modes are vcrpy's. Only the
translation between Scrapy and vcrpy requests/responses lives here.

Settings:

- ``VCR_CASSETTE``: path of the cassette file. Empty: the handler steps aside and every
  request goes to Scrapy's own HTTP/1.1 handler.
- ``VCR_RECORD_MODE``: ``none`` (replay only; the default when a cassette is given),
  ``once``, ``new_episodes`` or ``all``: vcrpy's record modes.
- ``VCR_MATCH_ON``: vcrpy matcher names (default: method, scheme, host, port, path, query and
  ``conditional``: a recorded conditional GET, with ``If-None-Match`` or ``If-Modified-Since``,
  answers only a request carrying the same validators, as the server's 304 did; a recorded plain
  request answers any).

A request the cassette cannot answer in ``none`` mode fails alone, with ``NotInCassette`` (vcrpy's
``CannotOverwriteExistingCassetteException``, in one line) naming the URL, the cassette, the
closest recorded request and what to do; the crawl goes on. A robots.txt the cassette does not
hold is a one-line WARNING (every URL of its site allowed), not an ERROR with a traceback.
A retry (``retry_times`` in its meta) of a request whose recorded answers were all played gets
the last one again, as the server would answer (vcrpy plays each interaction once).
A recorded body larger than ``DOWNLOAD_MAXSIZE`` (or the request's ``download_maxsize``) fails
its request with ``DownloadTooLargeError``, as a live download would.

The cassette is opened once per crawl and shared by the handlers of every scheme (http, https,
ftp, s3: with a cassette set, no scheme reaches the network past it); a broken cassette raises
``CassetteError`` naming the file. vcrpy's own logger, which logs every interaction with its
whole body at INFO, is held at WARNING.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from scrapy.exceptions import DownloadCancelledError, NotConfigured, NotSupported
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from vcr import VCR
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException, UnhandledHTTPRequestError
from vcr.matchers import requests_match
from vcr.persisters.filesystem import CassetteNotFoundError, FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize as vcr_serialize

from broadsheet.recording import serializer
from broadsheet.recording.loading import REMEDY, CassetteError, body_bytes, read_cassette
from broadsheet.recording.scrub import Scrubber
from broadsheet.storage.commit import write_failed
from broadsheet.storage.files import atomic_writer, write_text_atomically

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)
logging.getLogger("vcr").setLevel(logging.WARNING)  # its INFO lines carry whole recorded bodies

DEFAULT_MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "conditional")
VALIDATORS = ("If-None-Match", "If-Modified-Since")


def conditional(request: VcrRequest, recorded: VcrRequest) -> None:
    """vcrpy matcher: a recorded conditional request answers only the same validators."""
    for name in VALIDATORS:
        if recorded.headers.get(name) is not None and recorded.headers.get(name) != request.headers.get(name):
            raise AssertionError(f"{name}: {request.headers.get(name)!r} != recorded {recorded.headers.get(name)!r}")
_DROPPED_ON_REPLAY = (b"Transfer-Encoding",)


class DownloadTooLargeError(DownloadCancelledError):
    """A recorded body larger than the download's maximum size (``DOWNLOAD_MAXSIZE``)."""


def is_compressed(path: str | Path) -> bool:
    """Whether a cassette path names a gzip-compressed cassette (``cassette.yaml.gz``)."""
    return str(path).endswith(".gz")


def cassette_text(path: str | Path) -> str:
    """The YAML text of a cassette, plain or gzip-compressed."""
    data = Path(path).read_bytes()
    return (gzip.decompress(data) if is_compressed(path) else data).decode("utf-8")


class StablePersister(FilesystemPersister):
    """vcrpy's file persister, loading strictly (a broken file raises ``CassetteError`` naming
    it, never passes as empty) and saving interactions sorted by URL and method (stable for
    equal keys), so that a re-recorded cassette diffs cleanly against the committed one, and
    atomically (a full disk or a kill leaves the previous cassette whole).

    A path ending in ``.gz`` (``cassette.yaml.gz``) holds the same YAML gzip-compressed, with no
    timestamp in the gzip header, so saving the same interactions gives the same bytes.
    """

    compress_bodies = False

    @classmethod
    def load_cassette(cls, cassette_path, serializer):
        """The cassette's requests and responses; a missing or blank file is a new cassette."""
        path = Path(cassette_path)
        if not path.is_file() or not path.stat().st_size:
            raise CassetteNotFoundError()
        return read_cassette(path, compress_bodies=cls.compress_bodies)

    @staticmethod
    def save_cassette(cassette_path, cassette_dict, serializer):
        """Sort, serialize as vcrpy does, then replace the file whole (compressed for ``.gz``)."""
        pairs = sorted(zip(cassette_dict["requests"], cassette_dict["responses"], strict=True),
                       key=lambda pair: (pair[0].uri, pair[0].method))
        ordered = {**cassette_dict, "requests": [r for r, _ in pairs], "responses": [r for _, r in pairs]}
        text = vcr_serialize(ordered, serializer)
        if not is_compressed(cassette_path):
            write_text_atomically(Path(cassette_path), text)
            return
        with atomic_writer(Path(cassette_path), "wb") as f:
            f.write(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


class ReplayPersister(StablePersister):
    """``StablePersister`` for a replay that never writes the cassette (``VCR_RECORD_MODE=none``):
    recorded bodies are held compressed (``CompressedBody``) until played, so a crawl over a large
    cassette needs a fraction of its size in memory."""

    compress_bodies = True


class IndexedCassette(Cassette):
    """vcrpy's Cassette with candidate look-up by (host, path) instead of a scan of every
    interaction, which made replaying n requests O(n²).

    Used only when ``host`` and ``path`` are both among the matchers, so that every request
    vcrpy would match has the same key; vcrpy's own ``requests_match`` still decides on each
    candidate, in recorded order.
    """

    _by_key: dict[tuple[str, str], list[int]] | None = None
    _indexed: int = -1  # how many interactions the index covers; rebuilt when data grows

    @staticmethod
    def _key(request: VcrRequest) -> tuple[str, str]:
        return request.host, request.path or "/"

    def _index(self) -> dict[tuple[str, str], list[int]]:
        if self._by_key is None or self._indexed != len(self.data):
            index: dict[tuple[str, str], list[int]] = {}
            for position, (stored, _) in enumerate(self.data):
                index.setdefault(self._key(stored), []).append(position)
            self._by_key, self._indexed = index, len(self.data)
        return self._by_key

    def _responses(self, request: VcrRequest):
        request = self._before_record_request(request)
        if not request:
            return
        for position in self._index().get(self._key(request), ()):
            stored, response = self.data[position]
            if requests_match(request, stored, self._match_on):
                yield position, response


def open_cassette(path: str | Path, record_mode: str = "none", match_on=DEFAULT_MATCH_ON,
                  scrubber: Scrubber | None = None, compress_bodies: bool = False) -> Cassette:
    """Open a cassette through vcrpy's own configuration, loader and matchers.

    ``compress_bodies`` (``none`` mode only: the cassette is never written) holds the recorded
    bodies compressed until played (``to_scrapy_response`` reads either).

    ``record_mode`` is one of vcrpy's record modes; an unknown one raises ``CassetteError``
    naming the valid ones. A missing or empty cassette file (or one without interactions) in
    ``none`` mode, and a broken one in any mode, raise ``CassetteError``: replaying nothing is
    never what the caller wants.
    """
    modes = {m.value for m in RecordMode}
    if record_mode not in modes:
        raise CassetteError(
            f"VCR_RECORD_MODE={record_mode!r} is not a record mode; use one of {sorted(modes)}"
        )
    if record_mode == "none" and not Path(path).is_file():
        raise CassetteError(f"VCR_CASSETTE={str(path)!r}: no such cassette; record it first "
                            f"(VCR_RECORD_MODE=once) or import a capture with `scrapy cassette import HAR {path}`")
    if record_mode == "none" and not Path(path).stat().st_size:
        raise CassetteError(f"{path}: the cassette is empty; {REMEDY}")
    hooks: dict[str, Any] = {}
    if scrubber is not None:
        hooks = {"before_record_request": scrubber.request, "before_record_response": scrubber.response}
    vcr = VCR()
    vcr.register_persister(ReplayPersister if compress_bodies and record_mode == "none" else StablePersister)
    vcr.register_serializer("yaml", serializer)
    vcr.register_matcher("conditional", conditional)
    config = vcr.get_merged_config(record_mode=record_mode, match_on=tuple(match_on), **hooks)
    kwargs = {key: config[key] for key in (
        "serializer", "persister", "match_on", "record_mode", "before_record_request",
        "before_record_response",
    )}
    indexable = {"host", "path"} <= set(match_on)
    cassette = (IndexedCassette if indexable else Cassette).load(path=str(path), **kwargs)
    cassette._before_record_request = scrubbed_once(cassette._before_record_request)
    if record_mode == "none" and not len(cassette):
        raise CassetteError(f"{path}: the cassette holds no interactions, so nothing can be replayed; {REMEDY}")
    return cassette


def scrubbed_once(before_record_request: Callable[[VcrRequest], VcrRequest | None]
                   ) -> Callable[[VcrRequest], VcrRequest | None]:
    """vcrpy's request hook, run once per request: replaying one request asks the cassette three times
    (``can_play_response_for``, then ``in`` with the copy it scrubbed, then ``play_response``), and each time
    vcrpy deep-copies the request before scrubbing it (30 us). The last request's scrubbed copy is kept and given
    again while that request or the copy itself asks (scrubbing is idempotent); vcrpy's copy still keeps the
    caller's request unchanged."""
    last: list[Any] = [None, None]

    def hook(request: VcrRequest) -> VcrRequest | None:
        if request is not last[0] and (request is not last[1] or request is None):
            last[:] = request, before_record_request(request)
        return last[1]

    return hook


class NotInCassette(CannotOverwriteExistingCassetteException):
    """A request a replay-only cassette has no answer for, told in one line (vcrpy's message is a
    screenful per request): the request, the cassette, the closest recorded request and how it
    differs, and what to do."""

    def __init__(self, cassette: Cassette, failed_request: VcrRequest):
        super().__init__(cassette=cassette, failed_request=failed_request)
        request = f"{failed_request.method} {failed_request.uri}"
        if self.reason == "already_played":
            why = "its recorded answers were all played (each is played once)"
        elif self.similar_requests:
            closest, _, differ = self.similar_requests[0]
            why = f"the closest recorded, {closest.uri}, differs in {', '.join(name for name, _ in differ)}"
        else:
            why = "nothing like it was recorded"
        self.args = (f"{request} is not in the cassette {cassette._path} ({why}); record it "
                     f"(VCR_RECORD_MODE=new_episodes) or import a capture that has it "
                     f"(`scrapy cassette import HAR {cassette._path}`)",)


class RobotsNotRecorded(logging.Filter):
    """Scrapy's robots.txt middleware logs a robots.txt it could not download at ERROR with a
    traceback. One the cassette does not hold (a browser capture never has it) is not an error of
    the crawl: a WARNING in one line, saying that the site's URLs are all allowed then."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record of a robots.txt not in the cassette; pass every record on."""
        error = record.args.get("f_exception") if isinstance(record.args, dict) else None
        if isinstance(error, NotInCassette):
            record.msg = "%(f_exception)s: robots.txt unknown, so every URL of the site is allowed"
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


ROBOTS_LOGGER = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")


def to_vcr_request(request: Request) -> VcrRequest:
    """The vcrpy request for a Scrapy request (header values decoded as latin-1)."""
    headers = {
        key.decode("latin-1"): b", ".join(values).decode("latin-1")
        for key, values in request.headers.items()
    }
    return VcrRequest(request.method, request.url, request.body or None, headers)


def decoded_body(body: bytes, encoding: str) -> bytes | None:
    """The body decompressed with ``encoding``, or None when it is not compressed that way."""
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError):
        return None
    return None


def stored_body(body: bytes, headers: dict[str, list[str]]) -> tuple[bytes, dict[str, list[str]]]:
    """The body and headers as a cassette keeps them: decompressed (a body that does not
    decompress is taken as already decoded), without ``Content-Encoding`` and
    ``Transfer-Encoding``, with its true ``content-length``; readable text that diffs cleanly."""
    kept: dict[str, list[str]] = {}
    for name, values in headers.items():
        lowered = name.lower()
        if lowered == "content-encoding":
            body = decoded_body(body, values[0].strip().lower()) or body
        elif lowered not in ("content-length", "transfer-encoding"):
            kept[name] = values
    kept["content-length"] = [str(len(body))]
    return body, kept


def to_scrapy_response(recorded: dict[str, Any], request: Request) -> Response:
    """Build the Scrapy response for a recorded vcrpy response dict.

    Bodies recorded already decompressed keep a stale ``Content-Encoding`` (vcrpy issues 719,
    942); the header is dropped when the body does not decode with it, so Scrapy's
    HttpCompressionMiddleware does not fail on it.
    """
    body = body_bytes(recorded["body"]["string"])
    headers = Headers()
    for name, values in recorded["headers"].items():
        for value in values if isinstance(values, list) else [values]:
            headers.appendlist(name.encode("latin-1"), str(value).encode("latin-1"))
    for name in _DROPPED_ON_REPLAY:
        headers.pop(name, None)
    encoding = headers.get(b"Content-Encoding", b"").decode("latin-1").strip().lower()
    if encoding and decoded_body(body, encoding) is None:
        headers.pop(b"Content-Encoding")
    status = int(recorded["status"]["code"])
    respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
    return respcls(url=request.url, status=status, headers=headers, body=body, request=request,
                   protocol="HTTP/1.1")


def to_vcr_response(response: Response) -> dict[str, Any]:
    """The vcrpy response dict for a downloaded Scrapy response, body stored decoded."""
    headers = {name.decode("latin-1"): [v.decode("latin-1") for v in values]
               for name, values in response.headers.items()}
    body, headers = stored_body(response.body, headers)
    return {
        "status": {"code": response.status, "message": ""},
        "headers": headers,
        "body": {"string": body},
    }


_CRAWL_CASSETTES: WeakKeyDictionary[Crawler, Cassette | None] = WeakKeyDictionary()


def crawl_cassette(crawler: Crawler) -> Cassette | None:
    """The crawl's cassette (``VCR_CASSETTE``), opened once per crawl and shared by every scheme's
    handler; None when the setting is empty. A broken cassette raises ``CassetteError``."""
    if crawler in _CRAWL_CASSETTES:
        return _CRAWL_CASSETTES[crawler]
    settings = crawler.settings
    path = settings.get("VCR_CASSETTE") or ""
    cassette = None
    if path:
        mode = settings.get("VCR_RECORD_MODE") or "none"
        match_on = settings.getlist("VCR_MATCH_ON") or DEFAULT_MATCH_ON
        cassette = open_cassette(path, mode, match_on, Scrubber.from_settings(settings), compress_bodies=True)
        logger.info("Replaying %(cassette)s (VCR_RECORD_MODE=%(mode)s, %(count)d interactions)",
                    {"cassette": path, "mode": mode, "count": len(cassette)})
    _CRAWL_CASSETTES[crawler] = cassette
    return cassette


class VCRDownloadHandler:
    """Replays requests from a VCR cassette, and records new ones where the mode allows.

    Registered for every network scheme; without a cassette, or to record, it delegates to the
    scheme's own handler in ``DOWNLOAD_HANDLERS_BASE`` (built on first use).
    """

    lazy = False

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._own: dict[str, Any] = {}  # scheme -> Scrapy's own handler, built on first use
        self.cassette = crawl_cassette(crawler)
        if self.cassette is None:
            logger.debug("VCR_CASSETTE is empty: downloading from the network")
            return
        if not any(isinstance(f, RobotsNotRecorded) for f in ROBOTS_LOGGER.filters):
            ROBOTS_LOGGER.addFilter(RobotsNotRecorded())
        self.stats = crawler.stats
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.warnsize = crawler.settings.getint("DOWNLOAD_WARNSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> VCRDownloadHandler:
        """Build the handler from the crawler's settings."""
        return cls(crawler)

    def _network(self, request: Request) -> Any:
        """Scrapy's own handler for the request's scheme (``DOWNLOAD_HANDLERS_BASE``)."""
        scheme = urlparse_cached(request).scheme
        if scheme not in self._own:
            path = self.crawler.settings.getdict("DOWNLOAD_HANDLERS_BASE").get(scheme)
            try:
                if not path:
                    raise NotConfigured(f"no download handler for {scheme!r}")
                self._own[scheme] = build_from_crawler(load_object(path), self.crawler)
            except NotConfigured as exc:
                raise NotSupported(f"{request.url}: cannot download {scheme}: URLs ({exc})") from exc
        return self._own[scheme]

    def _sized(self, response: Response, request: Request) -> Response:
        """The replayed response, unless its body is above the download's maximum size."""
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        size = len(response.body)
        if maxsize and size > maxsize:
            self.stats.inc_value("vcr/too_large")
            raise DownloadTooLargeError(f"{request.url}: the recorded body is {size} bytes, larger than the "
                                        f"download max size ({maxsize}, DOWNLOAD_MAXSIZE)")
        warnsize = request.meta.get("download_warnsize", self.warnsize)
        if warnsize and size > warnsize:
            logger.warning("%(url)s: the recorded body is %(size)d bytes, above DOWNLOAD_WARNSIZE (%(warn)d)",
                           {"url": request.url, "size": size, "warn": warnsize})
        return response

    async def download_request(self, request: Request) -> Response:
        """Answer from the cassette; record from the network when the mode allows it."""
        if self.cassette is None:
            return await self._network(request).download_request(request)
        vcr_request = to_vcr_request(request)
        recorded = self._replayable(request, vcr_request)
        if recorded is not None:
            self.stats.inc_value("vcr/replayed")
            return self._sized(to_scrapy_response(recorded, request), request)
        if self.cassette.write_protected:
            self.stats.inc_value("vcr/missing")
            raise NotInCassette(self.cassette, vcr_request)
        response = await self._network(request).download_request(request)
        self.cassette.append(vcr_request, to_vcr_response(response))
        self.stats.inc_value("vcr/recorded")
        return response

    def _replayable(self, request: Request, vcr_request: VcrRequest) -> dict[str, Any] | None:
        """The recorded answer to play: the next unplayed one; for a retry, the last one again."""
        if self.cassette.can_play_response_for(vcr_request):
            return self.cassette.play_response(vcr_request)
        if request.meta.get("retry_times"):
            try:
                return self.cassette.responses_of(vcr_request)[-1]
            except UnhandledHTTPRequestError:
                return None
        return None

    async def close(self) -> None:
        """Write what was recorded (once: the handlers share the cassette), then close the
        network handlers."""
        if self.cassette is not None:
            try:
                self.cassette._save()  # vcrpy's own save: writes only when something was recorded
            except OSError as exc:  # written whole or not at all: the cassette is as it was
                self.cassette.dirty = False  # the other schemes' handlers share it: reported once
                write_failed(self.crawler, self.cassette._path, exc, "the cassette is unchanged and this "
                             "crawl's recordings are lost: free space or choose a writable place, then record again",
                             after_outputs=True)
        for handler in self._own.values():
            await handler.close()
