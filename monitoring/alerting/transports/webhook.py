"""Alerts as a signed, Slack-compatible JSON POST.

The receiver verifies X-Plumbline-Signature: "sha256=" + hex HMAC-SHA256 of the raw body, keyed
with PLUMBLINE_WEBHOOK_SECRET (SECRET_KEY when unset). URLs are resolved at send time from
settings/env (see monitoring.conf.webhook_url) because chat webhook URLs are themselves secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from monitoring import conf
from monitoring.alerting.transports.posting import NotConfigured, post_json
from monitoring.models import Alert


class WebhookNotConfigured(NotConfigured):
    pass


def payload(alert: Alert) -> bytes:
    return json.dumps(
        {"text": f"{alert.subject}\n{alert.body}", "alert_id": alert.pk, "details": alert.details}
    ).encode()


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(alert: Alert) -> None:
    url = conf.webhook_url(alert.recipient)
    if not url:
        raise WebhookNotConfigured(f"no URL for {alert.recipient}: set {conf.webhook_env_name(alert.recipient)}")
    body = payload(alert)
    headers = {"X-Plumbline-Signature": signature(body, conf.webhook_secret())}
    post_json(url, body, what=f"webhook {alert.recipient}", headers=headers)
