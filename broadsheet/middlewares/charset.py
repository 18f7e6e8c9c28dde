"""Text decoded right: a body that does not decode under its declared charset is re-decoded.

Scrapy decodes a page with its BOM, else the ``Content-Type`` charset, else the ``<meta>``
charset, and replaces whatever does not decode with U+FFFD, silently: cp1251 or Shift-JIS bytes
served as ``charset=utf-8`` become headlines of U+FFFD that pass schema validation. This
middleware checks every text response before the spider sees it:

- a body that is UTF-8 is read as UTF-8 whatever its label: valid UTF-8 with non-ASCII text
  under another label (``iso-8859-1``, ...) is UTF-8 mislabelled; a body that is mostly valid
  UTF-8 (at least two valid non-ASCII characters per invalid sequence: legacy charsets never
  come near) is UTF-8 with corrupt bytes, which become U+FFFD (stat
  ``broadsheet/text/invalid_bytes`` and a WARNING), so that a record whose text they reach is
  quarantined (``replacement_character``) instead of exported as another charset's mojibake;
- any other body that decodes under the charset Scrapy would use is left as it is;
- otherwise it is decoded with the first that fits: its ``<meta>`` charset, then the charset
  detected by chardetng (Firefox's detector for legacy pages; charset-normalizer takes short
  French for cp1257 and German for hp_roman8). The response carries that encoding from then on;
  stat ``broadsheet/text/recoded/<how>`` (``meta``, ``utf8``, ``detected``) and a WARNING naming
  the URL, the label and the encoding used;
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
# Invalid UTF-8 sequences per valid non-ASCII character up to which a body is UTF-8 with corrupt
# bytes, not another charset. Legacy bytes rarely form valid UTF-8 sequences: the 883 corpus pages
# encoded in cp1251, cp1252, koi8-r, Shift-JIS, EUC-JP, GBK, Big5, EUC-KR or cp874 give at most
# 0.65 valid characters per invalid sequence (EUC-JP), so a body with at least two valid ones per
# invalid sequence is UTF-8 (a Mitrade page with 10 non-ASCII characters and 4 stray bytes: 2.5).
CORRUPT_SHARE = 0.5


def decodes(body: bytes, encoding: str) -> bool:
    """Whether ``body`` decodes under ``encoding`` without a single error."""
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def utf8_errors(body: bytes) -> int | None:
    """How many invalid sequences a UTF-8 body holds: 0 for valid UTF-8 with non-ASCII text, more
    for a mostly valid one (``CORRUPT_SHARE``); None when the body is ASCII or not UTF-8."""
    text = body.decode(UTF8, errors="replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return invalid if valid and invalid <= valid * CORRUPT_SHARE else None


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
        if label == UTF8 and decodes(body, UTF8):  # most pages: one decode
            return response
        errors = utf8_errors(body)
        if errors is not None:
            return self.as_utf8(response, label, header, errors)
        if (label and decodes(body, label)) or (not label and decodes(body, UTF8)):  # ASCII, or right
            return response
        encoding, how = self.choose(request, body, header, meta)
        if encoding is None:
            raise RequestFailed("undecodable", f"the body decodes neither as {label or 'UTF-8'} (its label) "
                                               "nor as any detected charset")
        return self.recoded(response, label, header, encoding, how)

    def as_utf8(self, response: Response, label: str | None, header: str | None, errors: int) -> Response:
        """A body that is UTF-8 (``errors`` corrupt sequences in it, kept as U+FFFD), decoded so."""
        if errors:
            self.stats.inc_value(f"{STATS}/invalid_bytes", errors)
            logger.warning("%(url)s: %(n)d invalid UTF-8 sequences in an otherwise UTF-8 body, kept as U+FFFD",
                           {"url": response.url, "n": errors})
        if label == UTF8:
            return response
        if label is None and not errors:  # unlabelled valid UTF-8: Scrapy's own first guess
            return response
        return self.recoded(response, label, header, UTF8, "utf8")

    def recoded(self, response: Response, label: str | None, header: str | None, encoding: str,
                how: str) -> Response:
        """The response carrying ``encoding``, counted and logged."""
        self.stats.inc_value(f"{STATS}/recoded/{how}")
        logger.warning("Recoded %(url)s: the body is not %(label)s%(source)s; decoded as %(encoding)s (%(how)s)",
                       {"url": response.url, "label": label or "UTF-8", "encoding": encoding, "how": how,
                        "source": f" as its {'Content-Type' if header else '<meta>'} says" if label else ""})
        return response.replace(encoding=encoding)

    @staticmethod
    def choose(request: Request, body: bytes, header: str | None, meta: str | None) -> tuple[str | None, str]:
        """The encoding a body that is not UTF-8 decodes under, and how it was found: meta or detected."""
        if meta and meta != header and decodes(body, meta):
            return meta, "meta"
        tld = (urlparse_cached(request).hostname or "").rpartition(".")[2].encode("ascii", "ignore") or None
        detected = resolve_encoding(chardetng_py.detect(body, allow_utf8=False, tld=tld))
        if detected and decodes(body, detected):
            return detected, "detected"
        return None, ""
