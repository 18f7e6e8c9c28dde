"""What the base (or a site spider) gets from one page: per field every candidate with its source,
which one won and why, and the resulting record. The logic of ``scrapy sd``.

The page comes from a saved HTML file, a VCR cassette, a HAR capture, or the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import Request, Response

from broadsheet.extract.fields import Extraction, extract_fields


def load_response(url: str, *, html: str | None = None, cassette: str | None = None,
                  har: str | None = None) -> Response:
    """The response for ``url``: from a saved HTML file, a cassette, a HAR file, else downloaded."""
    from broadsheet.recording.handler import open_cassette, to_scrapy_response, to_vcr_request

    request = Request(url)
    if html:
        recorded = {"status": {"code": 200}, "headers": {"Content-Type": ["text/html"]},
                    "body": {"string": Path(html).read_bytes()}}
    elif cassette or har:
        if har:
            from broadsheet.recording.har import har_interactions, load_har

            pairs = har_interactions(load_har(har), har, {url})
            if not pairs:
                raise LookupError(f"{har}: no entry for {url}; list the capture's URLs or give another")
            recorded = pairs[0][1]
        else:
            opened = open_cassette(cassette)
            vcr_request = to_vcr_request(request)
            if not opened.can_play_response_for(vcr_request):
                raise LookupError(f"{cassette}: no recording of {url}; record it or pass another cassette")
            recorded = opened.play_response(vcr_request)
    else:
        import urllib.request

        with urllib.request.urlopen(url, timeout=30) as live:  # noqa: S310 - the user's own URL
            recorded = {"status": {"code": live.status}, "headers": {k: [v] for k, v in live.headers.items()},
                        "body": {"string": live.read()}}
    return to_scrapy_response(recorded, request)


def explain(spider: Any, response: Response) -> tuple[Extraction, dict[str, Any]]:
    """Every candidate of every field (traced) and the record the spider builds from the page: the
    crawl's, read untraced on a page of its own (a traced read runs every source, and the sources that
    share what an earlier one read, the organisations beside the authors, would see more)."""
    from broadsheet.extract.page import Page

    sources = spider.sources_at(spider.reference_time(response))
    record = spider.build_article(response, extract_fields(Page(response, spider.page_state), sources)).to_dict()
    traced = extract_fields(Page(response, spider.page_state), sources, trace=True)
    return traced, record


def _short(value: Any, width: int = 90) -> str:
    text = value.text if hasattr(value, "text") and not isinstance(value, str) else value
    if hasattr(value, "instant"):
        text = f"{value.instant or ''} day={value.day.isoformat()}"
    text = json.dumps(text, ensure_ascii=False, default=str) if not isinstance(text, str) else text
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def report(traced: Extraction, record: dict[str, Any]) -> str:
    """The per-field table (``*`` marks the winner; ``rejected`` what the normaliser refused) and the record."""
    lines = []
    for field, candidates in traced.candidates.items():
        winner = traced.winners.get(field)
        lines.append(f"{field}: {'won by ' + winner if winner else 'no source gave a value'}")
        for candidate in candidates:
            mark = "*" if candidate.source == winner and candidate.value == traced.values.get(field) else " "
            verdict = _short(candidate.value) if candidate.accepted else "rejected by the normaliser"
            lines.append(f"  {mark} {candidate.source:28s} {_short(candidate.raw, 60):60s} -> {verdict}")
        if not candidates:
            lines.append("    (no candidates)")
    lines.append("record:")
    lines.append(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    return "\n".join(lines)
