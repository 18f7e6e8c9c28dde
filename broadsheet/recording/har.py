"""Import a HAR 1.2 capture (a browser's "Save all as HAR") into a VCR cassette.

Each HAR entry maps one-to-one onto a cassette interaction. Bodies are stored decoded: base64
bodies are decoded, compressed bodies decompressed and their ``Content-Encoding`` dropped, so the
cassette is readable YAML; a body that is not text stays bytes (vcrpy writes it as ``!!binary``).
Secrets are scrubbed on the way in, like on a live recording. The cassette is written by vcrpy's
own persister and serializer.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vcr.request import Request as VcrRequest

from broadsheet.errors import BadInput
from broadsheet.recording.handler import open_cassette, stored_body
from broadsheet.recording.scrub import Scrubber


class HarError(BadInput):
    """A HAR file that cannot be imported; the message names the file and what is wrong."""


def load_har(path: str | Path) -> list[dict[str, Any]]:
    """The entries of a HAR file, or ``HarError`` naming the file and the problem."""
    try:
        with open(path, encoding="utf-8") as f:
            har = json.load(f)
    except OSError as exc:
        raise HarError(f"{path}: cannot read the HAR file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise HarError(f"{path}: not UTF-8 at byte {exc.start} (HAR files are UTF-8 JSON); "
                       "export it again with 'Save all as HAR'") from exc
    except json.JSONDecodeError as exc:
        raise HarError(f"{path}: not JSON ({exc}); export it again with 'Save all as HAR'") from exc
    try:
        entries = har["log"]["entries"]
    except (KeyError, TypeError) as exc:
        raise HarError(f"{path}: no log.entries; is this a HAR 1.2 file?") from exc
    return entries


def _headers(message: dict[str, Any], where: str) -> list[tuple[str, str]]:
    """(name, value) of a HAR request's or response's headers; ``HarError`` on a header without
    a string name and value."""
    pairs = []
    for index, header in enumerate(message.get("headers") or []):
        name = header.get("name") if isinstance(header, dict) else None
        value = header.get("value") if isinstance(header, dict) else None
        if not isinstance(name, str) or not isinstance(value, str):
            raise HarError(f"{where}.headers[{index}] has no string name and value; export the capture "
                           "again, or fix or remove that header")
        pairs.append((name, value))
    return pairs


def _entry_body(entry: dict[str, Any], where: str) -> tuple[bytes, dict[str, list[str]]]:
    """The decoded response body of an entry and its response headers (lists of values)."""
    response = entry["response"]
    headers: dict[str, list[str]] = {}
    for name, value in _headers(response, f"{where}: response"):
        headers.setdefault(name, []).append(value)
    content = response.get("content", {})
    text = content.get("text") or ""
    if content.get("encoding") == "base64":
        try:
            body = base64.b64decode(text, validate=True)
        except binascii.Error as exc:
            raise HarError(f"{where}: content.text is not valid base64") from exc
    else:
        body = text.encode("utf-8")
        headers = utf8_declared(headers)
    return stored_body(body, headers)  # browsers store most bodies decoded already


def utf8_declared(headers: dict[str, list[str]]) -> dict[str, list[str]]:
    """``headers`` with a ``Content-Type`` charset saying ``utf-8``: a HAR keeps a text body as
    decoded text, which is stored as UTF-8, so the served charset (``iso-8859-1``) no longer
    describes the bytes and would turn every non-ASCII letter into mojibake on replay."""
    fixed = {}
    for name, values in headers.items():
        if name.lower() == "content-type":
            values = [re.sub(r"charset=[\w.:-]+", "charset=utf-8", v, flags=re.IGNORECASE) for v in values]
        fixed[name] = values
    return fixed


def har_interactions(entries: Iterable[dict[str, Any]], source: str,
                     url_filter: set[str] | None = None) -> list[tuple[VcrRequest, dict[str, Any]]]:
    """(vcrpy request, vcrpy response dict) pairs for the HAR entries, in capture order.

    ``url_filter``, when given, keeps only the entries whose request URL is in it.
    """
    pairs = []
    for index, entry in enumerate(entries):
        where = f"{source}: entry {index}"
        try:
            request = entry["request"]
            url, method = request["url"], request["method"]
            status = int(entry["response"]["status"])
        except (KeyError, TypeError, ValueError) as exc:
            raise HarError(f"{where}: missing request.url, request.method or response.status") from exc
        if url_filter is not None and url not in url_filter:
            continue
        body, headers = _entry_body(entry, where)
        post = (request.get("postData") or {}).get("text")
        vcr_request = VcrRequest(method, url, post.encode("utf-8") if post else None,
                                 dict(_headers(request, f"{where}: request")))
        vcr_response = {
            "status": {"code": status, "message": entry["response"].get("statusText", "")},
            "headers": headers,
            "body": {"string": body},
        }
        pairs.append((vcr_request, vcr_response))
    return pairs


def import_har(har_path: str | Path, cassette_path: str | Path, scrubber: Scrubber | None = None,
               url_filter: set[str] | None = None) -> int:
    """Add the HAR's interactions to the cassette (created when missing); returns how many.

    Interactions already in the cassette for the same request are replaced, so importing a fresh
    capture of a page refreshes it.
    """
    scrubber = scrubber or Scrubber()
    cassette = open_cassette(cassette_path, "all", scrubber=scrubber)
    pairs = har_interactions(load_har(har_path), str(har_path), url_filter)
    for request, response in pairs:
        cassette.append(request, response)
    if pairs:
        cassette._save(force=True)
    return len(pairs)

