"""Synthesise cassette interactions for pages that were saved, not recorded.

A saved HTML file (a browser's "Save page as", a test corpus page) has its bytes but no HTTP
exchange; a browser HAR has the exchanges but never ``robots.txt``. Both become replayable
cassettes here: the page as a ``200`` response dated with the time it was captured (the case's
reference time), and, where the capture lacks it, the site's ``robots.txt`` as an empty
allow-all file, so that a replay with ``ROBOTSTXT_OBEY`` logs no error for it.
"""

from __future__ import annotations

import datetime as dt
import gzip
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vcr.request import Request as VcrRequest

from broadsheet.recording.handler import open_cassette


def http_date(moment: dt.datetime) -> str:
    """``moment`` as an HTTP ``Date`` header value (``Tue, 14 Nov 2023 10:00:00 GMT``)."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()}: give the capture time with its offset (e.g. ...Z)")
    return format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def robots_url(url: str) -> str:
    """The ``robots.txt`` URL of ``url``'s site."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def response(body: bytes, served: dt.datetime, content_type: str) -> dict[str, Any]:
    """A vcrpy ``200`` response dict for ``body`` served at ``served``."""
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": [content_type], "Date": [http_date(served)],
                    "content-length": [str(len(body))]},
        "body": {"string": body},
    }


def read_saved_page(path: str | Path) -> bytes:
    """The bytes of a saved page, gunzipped when the file is ``.gz`` (as the corpora keep them)."""
    data = Path(path).read_bytes()
    return gzip.decompress(data) if str(path).endswith(".gz") else data


def import_page(page: str | Path, url: str, served: dt.datetime, cassette_path: str | Path) -> None:
    """Write the cassette for one saved page: ``url`` answered with the page's original bytes
    (``Content-Type: text/html`` without a charset, so the page's own declaration decides, as
    a browser opening the file would), and an allow-all ``robots.txt``."""
    cassette = open_cassette(cassette_path, "all")
    cassette.append(VcrRequest("GET", url, None, {}), response(read_saved_page(page), served, "text/html"))
    cassette.append(VcrRequest("GET", robots_url(url), None, {}), response(b"", served, "text/plain"))
    cassette._save(force=True)


def ensure_robots(cassette_path: str | Path, url: str) -> bool:
    """Add an allow-all ``robots.txt`` for ``url``'s site when the cassette has none (a HAR
    never holds it), dated like ``url``'s response; whether one was added."""
    cassette = open_cassette(cassette_path, "all")
    wanted = robots_url(url)
    uris = {request.uri: recorded for request, recorded in cassette.data}
    if wanted in uris or url not in uris:
        return False
    dates = [v for k, v in uris[url]["headers"].items() if k.lower() == "date"]
    if not dates:
        raise ValueError(f"{cassette_path}: the response for {url} has no Date header, so the case has no "
                         "reference time; capture it again, or import the page with --html and --date")
    served = parsedate_to_datetime(dates[0][0] if isinstance(dates[0], list) else dates[0])
    cassette.append(VcrRequest("GET", wanted, None, {}), response(b"", served, "text/plain"))
    cassette._save(force=True)
    return True
