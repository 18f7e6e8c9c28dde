"""A Scrapy download handler that replays and records VCR cassettes.

The cassette is loaded, matched and written by vcrpy itself, so the YAML format (version 1, as
pytest-recording writes it), the request matchers and the record modes are vcrpy's. Only the
translation between Scrapy and vcrpy requests/responses lives here.

Settings:

- ``VCR_CASSETTE``: path of the cassette file. Empty: the handler steps aside and every
  request goes to Scrapy's own HTTP/1.1 handler.
- ``VCR_RECORD_MODE``: ``none`` (replay only; the default when a cassette is given),
  ``once``, ``new_episodes`` or ``all``: vcrpy's record modes.
- ``VCR_MATCH_ON``: vcrpy matcher names (default: method, scheme, host, port, path, query).

A request the cassette cannot answer in ``none`` mode fails alone, with vcrpy's
``CannotOverwriteExistingCassetteException`` naming the URL and the cassette; the crawl goes on.
A retry (``retry_times`` in its meta) of a request whose recorded answers were all played gets
the last one again, as the server would answer (vcrpy plays each interaction once). A replayed
body above ``DOWNLOAD_MAXSIZE`` fails as Scrapy's own handler fails it.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from vcr import VCR
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException, UnhandledHTTPRequestError
from vcr.matchers import requests_match
from vcr.persisters.filesystem import FilesystemPersister
from vcr.record_mode import RecordMode
from vcr.request import Request as VcrRequest

from broadsheet.recording import serializer
from broadsheet.recording.scrub import Scrubber

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

DEFAULT_MATCH_ON = ("method", "scheme", "host", "port", "path", "query")
_DROPPED_ON_REPLAY = (b"Transfer-Encoding",)


class StablePersister(FilesystemPersister):
    """vcrpy's file persister, saving interactions sorted by URL and method (stable for equal
    keys), so that a re-recorded cassette diffs cleanly against the committed one."""

    @staticmethod
    def save_cassette(cassette_path, cassette_dict, serializer):
        """Sort, then save as vcrpy does."""
        pairs = sorted(zip(cassette_dict["requests"], cassette_dict["responses"], strict=True),
                       key=lambda pair: (pair[0].uri, pair[0].method))
        ordered = {**cassette_dict, "requests": [r for r, _ in pairs], "responses": [r for _, r in pairs]}
        FilesystemPersister.save_cassette(cassette_path, ordered, serializer)


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
                  scrubber: Scrubber | None = None) -> Cassette:
    """Open a cassette through vcrpy's own configuration, loader and matchers.

    ``record_mode`` is one of vcrpy's record modes; an unknown one raises ``ValueError``
    naming the valid ones. A missing cassette file in ``none`` mode raises
    ``FileNotFoundError``: replaying nothing is never what the caller wants.
    """
    modes = {m.value for m in RecordMode}
    if record_mode not in modes:
        raise ValueError(
            f"VCR_RECORD_MODE={record_mode!r} is not a record mode; use one of {sorted(modes)}"
        )
    if record_mode == "none" and not Path(path).is_file():
        raise FileNotFoundError(
            f"VCR_CASSETTE={str(path)!r}: no such cassette; record it first "
            "(VCR_RECORD_MODE=once) or import a HAR with `scrapy import-har`"
        )
    hooks: dict[str, Any] = {}
    if scrubber is not None:
        hooks = {"before_record_request": scrubber.request, "before_record_response": scrubber.response}
    vcr = VCR()
    vcr.register_persister(StablePersister)
    vcr.register_serializer("yaml", serializer)
    config = vcr.get_merged_config(record_mode=record_mode, match_on=tuple(match_on), **hooks)
    kwargs = {key: config[key] for key in (
        "serializer", "persister", "match_on", "record_mode", "before_record_request",
        "before_record_response",
    )}
    indexable = {"host", "path"} <= set(match_on)
    return (IndexedCassette if indexable else Cassette).load(path=str(path), **kwargs)


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
    body = recorded["body"]["string"] or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
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


class VCRDownloadHandler:
    """Replays requests from a VCR cassette, and records new ones where the mode allows."""

    lazy = False

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self._http = HTTP11DownloadHandler.from_crawler(crawler)
        self.cassette: Cassette | None = None
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        path = settings.get("VCR_CASSETTE") or ""
        if not path:
            logger.debug("VCR_CASSETTE is empty: downloading from the network")
            return
        mode = settings.get("VCR_RECORD_MODE") or "none"
        match_on = settings.getlist("VCR_MATCH_ON") or DEFAULT_MATCH_ON
        self.cassette = open_cassette(path, mode, match_on, Scrubber.from_settings(settings))
        self.stats = crawler.stats
        logger.info("Replaying %(cassette)s (VCR_RECORD_MODE=%(mode)s, %(count)d interactions)",
                    {"cassette": path, "mode": mode, "count": len(self.cassette)})

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> VCRDownloadHandler:
        """Build the handler from the crawler's settings."""
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        """Answer from the cassette; record from the network when the mode allows it."""
        if self.cassette is None:
            return await self._http.download_request(request)
        vcr_request = to_vcr_request(request)
        recorded = self._replayable(request, vcr_request)
        if recorded is not None:
            self.stats.inc_value("vcr/replayed")
            response = to_scrapy_response(recorded, request)
            maxsize = request.meta.get("download_maxsize", self.maxsize)
            if maxsize and len(response.body) > maxsize:
                raise DownloadCancelledError(f"Received {len(response.body)} bytes which is larger than download "
                                             f"max size ({maxsize}) in request {request}.")
            return response
        if self.cassette.write_protected:
            self.stats.inc_value("vcr/missing")
            raise CannotOverwriteExistingCassetteException(cassette=self.cassette,
                                                           failed_request=vcr_request)
        response = await self._http.download_request(request)
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
        """Write what was recorded, then close the HTTP handler."""
        if self.cassette is not None:
            self.cassette._save()  # vcrpy's own save: writes only when something was recorded
        await self._http.close()

