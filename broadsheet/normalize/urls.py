"""URLs as URIs: what a page writes (an IRI with non-ASCII letters, spaces, a stray ``%``) made the RFC 3986
URI a browser requests for it, so that every URL field holds a valid ``uri``."""

from __future__ import annotations

import re

from w3lib.url import safe_url_string

_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def as_uri(url: str, encoding: str = "utf-8") -> str:
    """``url`` percent-encoded as browsers (and w3lib's ``safe_url_string``) encode it: the host in IDNA,
    the path and fragment in UTF-8, the query in the page's ``encoding`` (UTF-8 when that charset cannot write
    it); escapes already there are kept, and a ``%`` that starts none is written ``%25``. A URL that is a URI
    already comes back unchanged."""
    try:
        safe = safe_url_string(url, encoding=encoding)
    except UnicodeEncodeError:
        safe = safe_url_string(url)
    return _STRAY_PERCENT.sub("%25", safe)
