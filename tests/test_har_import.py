"""HAR 1.2 import: binary and compressed bodies, scrubbing, clear errors."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from scrapy import Request

from broadsheet.recording.handler import open_cassette, to_scrapy_response, to_vcr_request
from broadsheet.recording.har import HarError, import_har

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00"


def entry(url: str, body: bytes, headers: list[dict], base64_body: bool = True) -> dict:
    text = base64.b64encode(body).decode() if base64_body else body.decode()
    content = {"mimeType": "application/octet-stream", "text": text}
    if base64_body:
        content["encoding"] = "base64"
    return {"request": {"method": "GET", "url": url, "headers": [{"name": "Cookie", "value": "a=SECRET"}]},
            "response": {"status": 200, "statusText": "OK", "headers": headers, "content": content}}


def test_binary_and_gzip_bodies_replay_byte_for_byte(tmp_path):
    html = "<p>caf\u00e9</p>".encode()
    har = tmp_path / "c.har"
    har.write_text(json.dumps({"log": {"entries": [
        entry("https://x.test/logo.png", PNG, [{"name": "Content-Type", "value": "image/png"}]),
        entry("https://x.test/page", gzip.compress(html), [{"name": "Content-Type", "value": "text/html"},
                                                            {"name": "Content-Encoding", "value": "gzip"}]),
    ]}}))
    cassette = tmp_path / "c.yaml"
    assert import_har(har, cassette) == 2
    text = cassette.read_text()
    assert "SECRET" not in text and "!!binary" in text and "café" in text
    replay = open_cassette(cassette, "none")
    for url, body in (("https://x.test/logo.png", PNG), ("https://x.test/page", html)):
        request = Request(url)
        response = to_scrapy_response(replay.play_response(to_vcr_request(request)), request)
        assert response.body == body
        assert b"Content-Encoding" not in response.headers


@pytest.mark.parametrize(("content", "message"), [
    ("{ nope", "not JSON"),
    (json.dumps({"entries": []}), "no log.entries; is this a HAR 1.2 file?"),
    (json.dumps({"log": {"entries": [{"request": {}}]}}), "entry 0: missing request.url"),
])
def test_bad_har_is_named(tmp_path, content, message):
    har = tmp_path / "bad.har"
    har.write_text(content)
    with pytest.raises(HarError, match="bad.har") as info:
        import_har(har, tmp_path / "c.yaml")
    assert message in str(info.value)


def test_text_bodies_are_declared_utf8_as_stored(tmp_path):
    """A HAR keeps text decoded; stored as UTF-8, the served Latin-1 charset would make mojibake."""
    har = tmp_path / "c.har"
    page = entry("https://x.test/de", "<p>Gr\u00fc\u00dfe</p>".encode(), base64_body=False,
                 headers=[{"name": "Content-Type", "value": "text/html; charset=ISO-8859-1"}])
    har.write_text(json.dumps({"log": {"entries": [page]}}))
    cassette = tmp_path / "c.yaml"
    import_har(har, cassette)
    request = Request("https://x.test/de")
    response = to_scrapy_response(open_cassette(cassette, "none").play_response(to_vcr_request(request)), request)
    assert response.headers[b"Content-Type"] == b"text/html; charset=utf-8"
    assert "Gr\u00fc\u00dfe" in response.text
