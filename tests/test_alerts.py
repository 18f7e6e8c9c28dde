"""Alerts against real servers on loopback: a webhook (http.server) and SMTP (aiosmtpd)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from broadsheet.monitoring.alerts import AlertSettings, send_alerts

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])  # loopback servers only

RUN = {"spider": "mitrade", "run_id": "2026-12-02T17-00-00.000Z", "job": "default", "items": 6,
       "finish_reason": "failed_drift", "verdict": "fail",
       "findings": [{"message": "Drift: image coverage 0.0% now, usual 100.0% (...)"}]}


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def webhook():
    """A webhook on loopback that records the JSON bodies posted to it (answers ``status``)."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        status = 200

        def do_POST(self):  # noqa: N802 - http.server's name
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(self.server.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.status = 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp():
    """An SMTP server on loopback keeping the messages it receives."""
    messages = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            messages.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, messages
    controller.stop()


def test_webhook_gets_slack_compatible_text(webhook):
    _, url, received = webhook
    assert send_alerts(AlertSettings(webhook_url=url), RUN, "/tmp/report.html") == ["ALERT_WEBHOOK_URL"]
    assert list(received[0]) == ["text"]
    text = received[0]["text"]
    assert text.startswith("[broadsheet] mitrade FAIL: 6 items, failed_drift")
    assert "- Drift: image coverage 0.0% now" in text and "report: /tmp/report.html" in text


def test_email_over_smtp(smtp):
    port, messages = smtp
    config = AlertSettings(email_to=("data@example.org", "ops@example.org"), smtp_host="127.0.0.1", smtp_port=port)
    assert send_alerts(config, RUN) == ["ALERT_EMAIL_TO"]
    assert messages[0].rcpt_tos == ["data@example.org", "ops@example.org"]
    body = messages[0].content.decode()
    assert "Subject: [broadsheet] mitrade FAIL" in body and "image coverage 0.0% now" in body


def test_a_failed_channel_is_logged_and_the_other_still_goes(webhook, caplog):
    server, url, received = webhook
    server.status = 500
    config = AlertSettings(webhook_url=url, email_to=("x@example.org",), smtp_host="127.0.0.1",
                           smtp_port=free_port())
    with caplog.at_level(logging.ERROR):
        assert send_alerts(config, RUN) == []
    assert len(received) == 1
    errors = [r.getMessage() for r in caplog.records]
    assert any("Alert via ALERT_WEBHOOK_URL failed (the crawl is unaffected): HTTPError" in e for e in errors)
    assert any("Alert via ALERT_EMAIL_TO failed" in e for e in errors)


def test_only_what_alert_on_asks_for(webhook):
    _, url, received = webhook
    assert send_alerts(AlertSettings(webhook_url=url, on="fail"), {**RUN, "verdict": "warn"}) == []
    assert send_alerts(AlertSettings(webhook_url=url), {**RUN, "verdict": "ok"}) == []
    assert send_alerts(AlertSettings(), RUN) == []  # off by default
    assert received == []
