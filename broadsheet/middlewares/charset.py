"""Text decoded right: a body that does not decode under its declared charset is re-decoded.

Scrapy decodes a page with its BOM, else the ``Content-Type`` charset, else the ``<meta>``
charset, and replaces whatever does not decode with U+FFFD, silently: cp1251 or Shift-JIS bytes
served as ``charset=utf-8`` become headlines of U+FFFD that pass schema validation. This
middleware checks every text response before the spider sees it:

- a body that decodes under the charset Scrapy would use is left as it is, except a non-ASCII
  body that is valid UTF-8 under another label (``iso-8859-1``, ...): that is UTF-8, mislabelled;
- otherwise the body is decoded with the first that fits: its ``<meta>`` charset, UTF-8, then
  the charset detected by chardetng (Firefox's detector for legacy pages; charset-normalizer
  takes short French for cp1257 and German for hp_roman8). The response carries that encoding
  from then on; stat ``broadsheet/text/recoded/<how>`` (``meta``, ``utf8``, ``detected``) and a
  WARNING naming the URL, the label and the encoding used;
- a UTF-8 body with a few corrupt bytes among much valid text stays UTF-8 (those bytes become
  U+FFFD: stat ``broadsheet/text/invalid_bytes`` and a WARNING);
- a body that nothing decodes fails its page as ``undecodable``.

A BOM is authoritative (as in browsers and w3lib). Non-text responses are left alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import chardetng_py
from scrapy.http import TextResponse
from scrapy.utils.httpobj import urlparse_cached
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

from broadsheet.extensions.outcomes import RequestFailed

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

STATS = "broadsheet/text"
UTF8 = "utf-8"
CORRUPT_SHARE = 0.05  # invalid UTF-8 sequences per valid non-ASCII character still taken as UTF-8


def decodes(body: bytes, encoding: str) -> bool:
    """Whether ``body`` decodes under ``encoding`` without a single error."""
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def utf8_with_few_errors(body: bytes) -> int:
    """How many invalid sequences a body that is mostly valid UTF-8 holds (0 when not mostly UTF-8)."""
    text = body.decode(UTF8, errors="replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return invalid if 0 < invalid <= valid * CORRUPT_SHARE else 0


class CharsetMiddleware:
    """Re-decodes text responses whose body is not in the charset they declare."""

    def __init__(self, stats: StatsCollector):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        """Build the middleware for a crawl."""
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        """The response as is when its label is right; else carrying the encoding that fits."""
        if not isinstance(response, TextResponse) or not response.body or read_bom(response.body)[0]:
            return response
        body = response.body
        header = http_content_type_encoding(response.headers.get(b"Content-Type", b"").decode("latin-1"))
        meta = html_body_declared_encoding(body)
        label = header or meta
        non_ascii_utf8 = not body.isascii() and decodes(body, UTF8)
        if label and decodes(body, label) and (label == UTF8 or not non_ascii_utf8):
            return response
        if not label and decodes(body, UTF8):  # unlabelled UTF-8: Scrapy's own first guess
            return response
        corrupt = label == UTF8 and utf8_with_few_errors(body)
        if corrupt:
            self.stats.inc_value(f"{STATS}/invalid_bytes", corrupt)
            logger.warning("%(url)s: %(n)d invalid UTF-8 sequences in an otherwise UTF-8 body, kept as U+FFFD",
                           {"url": response.url, "n": corrupt})
            return response
        encoding, how = self.choose(request, body, header, meta, non_ascii_utf8)
        if encoding is None:
            raise RequestFailed("undecodable", f"the body decodes neither as {label or 'UTF-8'} (its label) "
                                               "nor as any detected charset")
        self.stats.inc_value(f"{STATS}/recoded/{how}")
        logger.warning("Recoded %(url)s: the body is not %(label)s%(source)s; decoded as %(encoding)s (%(how)s)",
                       {"url": response.url, "label": label or "UTF-8", "encoding": encoding, "how": how,
                        "source": f" as its {'Content-Type' if header else '<meta>'} says" if label else ""})
        return response.replace(encoding=encoding)

    @staticmethod
    def choose(request: Request, body: bytes, header: str | None, meta: str | None,
               utf8: bool) -> tuple[str | None, str]:
        """The encoding the body decodes under, and how it was found: meta, utf8 or detected."""
        if meta and meta != header and decodes(body, meta):
            return meta, "meta"
        if utf8:
            return UTF8, "utf8"
        tld = (urlparse_cached(request).hostname or "").rpartition(".")[2].encode("ascii", "ignore") or None
        detected = resolve_encoding(chardetng_py.detect(body, allow_utf8=False, tld=tld))
        if detected and decodes(body, detected):
            return detected, "detected"
        return None, ""
