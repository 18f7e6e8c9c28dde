"""Recording through Scrapy's real downloader (a loopback server), scrubbed and replayable."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import subprocess
import sys
import threading

import pytest
import yaml
from conftest import MITRADE_CASSETTE, ROOT
from vcr.request import Request as VcrRequest

from broadsheet.recording import loading, serializer
from broadsheet.recording.handler import cassette_text, open_cassette
from broadsheet.recording.loading import CassetteError, CompressedBody, body_bytes, read_cassette
from broadsheet.recording.page import import_page
from broadsheet.recording.scrub import Scrubber
from broadsheet.testing import forkserver

PAGE = b"<html><body><p>recorded page</p></body></html>"


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves a page with a session cookie; robots.txt is missing."""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/robots.txt":
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Set-Cookie", "session=SECRETCOOKIE; Path=/")
        self.send_header("X-Seen-Auth", "yes" if self.headers.get("Authorization") else "no")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def fetch(url: str, cassette, mode: str) -> subprocess.CompletedProcess:
    headers = json.dumps({"Authorization": "Bearer SECRETAUTH"})
    return forkserver.run(
        [sys.executable, "-m", "scrapy", "fetch", "--nolog", url, "-s", f"VCR_CASSETTE={cassette}",
         "-s", f"VCR_RECORD_MODE={mode}", "-s", f"DEFAULT_REQUEST_HEADERS={headers}",
         "-s", "AUTOTHROTTLE_ENABLED=False"],
        cwd=ROOT, timeout=120)


def test_recording_scrubs_secrets_and_replays(server, tmp_path):
    cassette = tmp_path / "rec.yaml"
    url = f"{server}/news?id=7&token=SECRETTOKEN"
    recorded = fetch(url, cassette, "once")
    assert recorded.returncode == 0 and "recorded page" in recorded.stdout, recorded.stderr[-2000:]
    text = cassette.read_text(encoding="utf-8")
    for secret in ("SECRETTOKEN", "SECRETCOOKIE", "SECRETAUTH"):
        assert secret not in text, f"{secret} was recorded"
    assert "token=REDACTED" in text
    data = yaml.safe_load(text)
    assert [i["request"]["uri"].split("?")[0].rsplit("/", 1)[1] for i in data["interactions"]] == ["news", "robots.txt"]
    page = data["interactions"][0]["response"]
    assert page["body"]["string"] == PAGE.decode() and "date" in {k.lower() for k in page["headers"]}

    # Replay offline: the live request (with its token) still matches the scrubbed recording.
    replayed = fetch(url, cassette, "none")
    assert replayed.returncode == 0 and "recorded page" in replayed.stdout, replayed.stderr[-2000:]


def assert_fit_for_a_repository(path) -> None:
    """Written by the project's serializer (Unicode as text, not escaped), sorted, dated, no
    secrets; a body is bytes only when it is not UTF-8 (a page served in Latin-1, kept as served)."""
    text = cassette_text(path)
    data = yaml.safe_load(text)
    assert serializer.serialize(data) == text, "not as the project's serializer writes it (escaped non-ASCII?)"
    uris = [(i["request"]["uri"], i["request"]["method"]) for i in data["interactions"]]
    assert uris == sorted(uris), "interactions are not in stable (sorted) order"
    for interaction in data["interactions"]:
        headers = {k.lower(): v for k, v in interaction["response"]["headers"].items()}
        assert "date" in headers, f"{interaction['request']['uri']}: no Date header (the reference time)"
        assert "content-encoding" not in headers and "set-cookie" not in headers
        body = interaction["response"]["body"]["string"]
        if isinstance(body, bytes):
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")
        request_headers = {k.lower() for k in interaction["request"]["headers"]}
        assert not request_headers & {"cookie", "authorization"}


@pytest.mark.parametrize("path", sorted((ROOT / "fixtures").rglob("cassette.yaml*")),
                         ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_committed_cassettes_are_fit_for_a_repository(path):
    assert_fit_for_a_repository(path)


def test_a_page_with_json_escapes_in_its_own_script_is_a_fit_cassette(tmp_path):
    """The six characters ``\\u201e`` in a page's inline JSON are the page's text, not an escape."""
    page = tmp_path / "p.html"
    page.write_bytes('<script>var t = "\\u201eZitat\\u201c";</script><p>\u201eZitat\u201c</p>'.encode())
    cassette = tmp_path / "cassette.yaml.gz"
    import_page(page, "https://x.test/a", dt.datetime(2024, 1, 2, tzinfo=dt.UTC), cassette)
    assert_fit_for_a_repository(cassette)
    assert "\u201eZitat" in cassette_text(cassette)


class CountingScrubber(Scrubber):
    """The project's scrubber, counting the requests it is given."""

    calls = 0

    def request(self, request):
        CountingScrubber.calls += 1
        return super().request(request)


def test_replay_scrubs_each_request_once_and_keeps_the_callers_request(tmp_path):
    recorded = [i["request"]["uri"] for i in yaml.load((ROOT / "fixtures/mitrade/cassette.yaml").read_text(
        encoding="utf-8"), Loader=yaml.CSafeLoader)["interactions"] if "article-" in i["request"]["uri"]][:2]
    cassette = open_cassette(ROOT / "fixtures/mitrade/cassette.yaml", scrubber=CountingScrubber(
        headers=("Authorization",), query_params=()), compress_bodies=True)
    CountingScrubber.calls = 0
    for uri in recorded:
        request = VcrRequest("GET", uri, None, {"Authorization": "Bearer SECRET", "Accept": "text/html"})
        assert cassette.can_play_response_for(request)
        response = cassette.play_response(request)
        body = body_bytes(response["body"]["string"]).decode()
        assert response["status"]["code"] == 200 and uri.rsplit("/", 1)[1] in body
        assert request.headers["Authorization"] == "Bearer SECRET"  # vcrpy's copy was scrubbed, not the caller's
    assert CountingScrubber.calls == 2  # vcrpy asks three times a replayed request: scrubbed once each


def test_a_conflict_marker_after_a_yaml_error_is_named_first(tmp_path):
    """The by-interaction parse scans for git conflict markers as it reads; when it gives up earlier (a YAML
    error in an interaction), the marker further on is still what the error names, as a first scan of the
    file would have found it."""
    lines = MITRADE_CASSETTE.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "cassette.yaml"
    broken.write_text("".join([*lines[:1848], "    bad: a: b\n", *lines[1848:], ">>>>>>> theirs\n"]), encoding="utf-8")
    with pytest.raises(CassetteError, match=f"line {len(lines) + 2} is a git merge conflict marker"):
        read_cassette(broken)
    broken.write_text("".join([*lines[:1848], "    bad: a: b\n", *lines[1848:]]), encoding="utf-8")
    with pytest.raises(CassetteError, match="not valid YAML at line 1849, column 11"):
        read_cassette(broken)


def test_bodies_held_compressed_are_the_recorded_bytes():
    requests, responses = read_cassette(MITRADE_CASSETTE)
    held_requests, held = read_cassette(MITRADE_CASSETTE, compress_bodies=True)
    assert [r.uri for r in held_requests] == [r.uri for r in requests]
    assert all(isinstance(r["body"]["string"], CompressedBody) for r in held)
    assert [body_bytes(r["body"]["string"]) for r in held] == [r["body"]["string"] for r in responses]


@pytest.fixture
def in_parts(monkeypatch):
    """Cassettes of any size read in three parts, as a large one is on three cores."""
    monkeypatch.setattr(loading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(loading, "usable_cores", lambda: 3)


def test_a_cassette_read_in_parts_is_the_cassette_read_whole(in_parts, monkeypatch):
    starts = loading._part_starts(MITRADE_CASSETTE, MITRADE_CASSETTE.stat().st_size, 3)
    data = MITRADE_CASSETTE.read_bytes()
    assert len(starts) == 3 and all(data[start - 1:start + 10] == b"\n- request:" for start in starts[1:])
    parts = loading._read_in_parts(MITRADE_CASSETTE, compress=True)
    assert parts is not None
    monkeypatch.setattr(loading, "PARALLEL_MIN_BYTES", 10**12)
    whole = read_cassette(MITRADE_CASSETTE, compress_bodies=True)
    assert [(r.method, r.uri, r.headers) for r in parts[0]] == [(r.method, r.uri, r.headers) for r in whole[0]]
    assert [(r["status"], r["headers"], body_bytes(r["body"]["string"])) for r in parts[1]] == [
        (r["status"], r["headers"], body_bytes(r["body"]["string"])) for r in whole[1]]


def test_a_broken_cassette_read_in_parts_names_the_place_as_read_whole(in_parts, tmp_path):
    """A part that does not read falls back to the whole parse, so the error names the file's own line."""
    test_a_conflict_marker_after_a_yaml_error_is_named_first(tmp_path)
    lines = MITRADE_CASSETTE.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "late.yaml"
    broken.write_text("".join([*lines[:-3], "<<<<<<< ours\n", *lines[-3:]]), encoding="utf-8")
    with pytest.raises(CassetteError, match=f"line {len(lines) - 2} is a git merge conflict marker"):
        read_cassette(broken)
