"""Optional alerts when a crawl warns or fails: a Slack-compatible webhook and e-mail over SMTP.

Off by default. ``ALERT_WEBHOOK_URL`` posts ``{"text": ...}`` (Slack's incoming-webhook
format, which Mattermost, Rocket.Chat and Teams' Slack connectors accept too);
``ALERT_EMAIL_TO`` (comma-separated) sends a plain-text mail through ``ALERT_SMTP_HOST``:
``ALERT_SMTP_PORT`` (``ALERT_SMTP_USER``/``ALERT_SMTP_PASSWORD`` when set, STARTTLS with
``ALERT_SMTP_STARTTLS``) from ``ALERT_EMAIL_FROM``. ``ALERT_ON`` is ``warn`` (warnings and
failures, the default) or ``fail``. A failed alert is logged and never fails the crawl.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

logger = logging.getLogger(__name__)

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go; built from the crawl's settings by ``from_settings``."""

    webhook_url: str = ""
    email_to: tuple[str, ...] = ()
    email_from: str = "broadsheet@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    on: str = "warn"

    @classmethod
    def from_settings(cls, settings: Any) -> AlertSettings:
        """From Scrapy settings (``ALERT_*``); ``ALERT_ON`` must be ``warn`` or ``fail``."""
        on = settings.get("ALERT_ON") or "warn"
        if on not in ("warn", "fail"):
            raise ValueError(f"ALERT_ON={on!r}: give 'warn' (warnings and failures) or 'fail'")
        return cls(webhook_url=settings.get("ALERT_WEBHOOK_URL") or "",
                   email_to=tuple(settings.getlist("ALERT_EMAIL_TO")),
                   email_from=settings.get("ALERT_EMAIL_FROM") or cls.email_from,
                   smtp_host=settings.get("ALERT_SMTP_HOST") or cls.smtp_host,
                   smtp_port=settings.getint("ALERT_SMTP_PORT", cls.smtp_port),
                   smtp_user=settings.get("ALERT_SMTP_USER") or "",
                   smtp_password=settings.get("ALERT_SMTP_PASSWORD") or "",
                   smtp_starttls=settings.getbool("ALERT_SMTP_STARTTLS"),
                   on=on)

    @property
    def enabled(self) -> bool:
        """Whether any channel is configured."""
        return bool(self.webhook_url or self.email_to)

    def wants(self, verdict: str) -> bool:
        """Whether a run with this verdict is alerted."""
        return verdict == "fail" or (verdict == "warn" and self.on == "warn")


def summary(record: Mapping[str, Any], report: str | None) -> tuple[str, str]:
    """``(subject, text)`` of the alert for a run record: one line per finding."""
    subject = (f"[broadsheet] {record['spider']} {record['verdict'].upper()}: {record['items']} items, "
               f"{record.get('finish_reason')}")
    lines = [subject, f"run {record['run_id']} (job {record['job']})"]
    lines += [f"- {finding['message']}" for finding in record.get("findings", [])]
    if report:
        lines.append(f"report: {report}")
    return subject, "\n".join(lines)


def post_webhook(url: str, text: str) -> None:
    """POST ``{"text": text}`` as JSON; raises on a non-2xx answer or a network error."""
    request = urllib.request.Request(url, data=json.dumps({"text": text}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - the user's URL
        response.read()


def send_email(config: AlertSettings, subject: str, text: str) -> None:
    """Send ``text`` to ``config.email_to`` over SMTP; raises on any SMTP or network error."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, config.email_from, ", ".join(config.email_to)
    message.set_content(text)
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=TIMEOUT_S) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password)
        smtp.send_message(message)


def send_alerts(config: AlertSettings, record: Mapping[str, Any], report: str | None = None) -> list[str]:
    """Alert every configured channel about ``record`` if its verdict calls for it; a channel
    that fails is logged (naming its setting) and the others still go. Returns the channels sent."""
    if not config.enabled or not config.wants(record.get("verdict", "ok")):
        return []
    subject, text = summary(record, report)
    sent = []
    channels = [("ALERT_WEBHOOK_URL", lambda: post_webhook(config.webhook_url, text), config.webhook_url),
                ("ALERT_EMAIL_TO", lambda: send_email(config, subject, text), config.email_to)]
    for setting, send, configured in channels:
        if not configured:
            continue
        try:
            send()
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            logger.error("Alert via %(setting)s failed (the crawl is unaffected): %(error)s",
                         {"setting": setting, "error": f"{type(exc).__name__}: {exc}"})
        else:
            sent.append(setting)
            logger.info("Alert sent via %(setting)s", {"setting": setting})
    return sent
