"""Alerts as a signed, Slack-compatible JSON POST.

The receiver verifies X-Plumbline-Signature: "sha256=" + hex HMAC-SHA256 of the raw body, keyed
with PLUMBLINE_WEBHOOK_SECRET (SECRET_KEY when unset). URLs are resolved at send time from
settings/env (see monitoring.conf.webhook_url) because chat webhook URLs are themselves secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from monitoring import conf
from monitoring.models import Alert
from monitoring.platforms.contract import PollError


class WebhookNotConfigured(Exception):
    pass


def payload(alert: Alert) -> bytes:
    return json.dumps({"text": f"{alert.subject}\n{alert.body}", "alert_id": alert.pk}).encode()


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookFailed(Exception):
    pass


def send(alert: Alert) -> None:
    from monitoring.platforms import outbound  # SSRF-guarded: a webhook URL is typed in by users too

    url = conf.webhook_url(alert.recipient)
    if not url:
        raise WebhookNotConfigured(f"no URL for {alert.recipient}: set {conf.webhook_env_name(alert.recipient)}")
    body = payload(alert)
    headers = {"Content-Type": "application/json", "X-Plumbline-Signature": signature(body, conf.webhook_secret())}
    try:
        with outbound.make_client() as http:
            outbound.send(http, "POST", url, what=f"webhook {alert.recipient}", headers=headers, content=body)
    except PollError as exc:
        # Chat webhook URLs carry their secret in the path: keep it out of the stored error.
        shown = str(httpx.URL(url).copy_with(query=None, userinfo=b"", fragment=None))
        raise WebhookFailed(str(exc).replace(shown, "<webhook URL>")) from None
