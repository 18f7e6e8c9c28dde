"""Scrubbing secrets out of recorded interactions, so that a cassette never commits one.

Request headers and query-string parameters are filtered with vcrpy's own filters; response
headers are filtered here. Scrubbing runs on record and, through vcrpy, on the request being
matched too, so a scrubbed cassette still matches the live request. The ``Date`` header is kept:
it is the recording's reference time.

Settings (lists, case-insensitive):

- ``VCR_SCRUB_HEADERS``: request and response headers removed (default: cookies, authorisation
  and API-key headers).
- ``VCR_SCRUB_QUERY_PARAMS``: query parameters whose value is replaced by ``REDACTED``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vcr.filters import replace_headers, replace_query_parameters

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings
    from vcr.request import Request

REDACTED = "REDACTED"
DEFAULT_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                   "x-auth-token", "x-csrf-token")
DEFAULT_QUERY_PARAMS = ("token", "access_token", "api_key", "apikey", "key", "sig", "signature",
                        "auth", "session", "sessionid")


@dataclass(frozen=True)
class Scrubber:
    """Removes secret headers and query values from recorded requests and responses."""

    headers: tuple[str, ...] = DEFAULT_HEADERS
    query_params: tuple[str, ...] = DEFAULT_QUERY_PARAMS
    _header_set: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_header_set", frozenset(h.lower() for h in self.headers))

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Scrubber:
        """The scrubber that ``VCR_SCRUB_HEADERS`` and ``VCR_SCRUB_QUERY_PARAMS`` describe."""
        return cls(
            headers=tuple(settings.getlist("VCR_SCRUB_HEADERS", list(DEFAULT_HEADERS))),
            query_params=tuple(settings.getlist("VCR_SCRUB_QUERY_PARAMS", list(DEFAULT_QUERY_PARAMS))),
        )

    def request(self, request: Request) -> Request:
        """The request without secret headers, its secret query values redacted."""
        present = [k for k in request.headers if k.lower() in self._header_set]
        request = replace_headers(request, [(k, None) for k in present])
        params = {k.lower() for k, _ in request.query} & {p.lower() for p in self.query_params}
        if params:
            names = [k for k, _ in request.query if k.lower() in params]
            request = replace_query_parameters(request, [(k, REDACTED) for k in names])
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """The response dict without secret headers (``Set-Cookie`` above all)."""
        response["headers"] = {k: v for k, v in response["headers"].items()
                               if k.lower() not in self._header_set}
        return response
