"""One JSON POST of an alert through the SSRF-guarded client, and the secrets it must not leak.

Chat webhook URLs carry their secret in the path or query (Slack's /services/T…/B…/X…, a Teams
workflow's sig=), so a stored error shows "<webhook URL>" instead of the URL.
"""

from __future__ import annotations

import json

import httpx

from catalog.spec.checks import not_a_credential_variable, notify_credential_variable, notify_transport
from monitoring.alerting.transports import Refused
from monitoring.platforms import outbound
from monitoring.platforms.contract import PollError


class NotConfigured(Exception):
    """The variable a notify entry names is unset: the alert says which one to set."""


class DeliveryFailed(Exception):
    """The receiver was unreachable, timed out or answered 429/5xx: tried again on a later pass."""


def credential(entry: str) -> str:
    """The URL or routing key of a "slack:#finance-alerts" entry, read now from its PLUMBLINE_CRED_ variable."""
    named = notify_transport(entry)
    if named is None:
        raise NotConfigured(f"{entry} names no transport (slack:, teams: or pagerduty:)")
    name = notify_credential_variable(*named)
    if problem := not_a_credential_variable(name):
        raise NotConfigured(f"{entry}: {problem}")
    try:
        return outbound.read_secret(name)
    except PollError as exc:
        raise NotConfigured(f"nothing to send {entry} to: {exc}") from None


def post_json(
    url: str,
    body: bytes,
    *,
    what: str,
    headers: dict[str, str] | None = None,
    hide_url: bool = True,
    credential_in_body: bool = False,
) -> outbound.Reply:
    """POST body as JSON; a 4xx is Refused, any other failure DeliveryFailed, neither quoting a secret URL."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    try:
        with outbound.make_client() as http:
            return outbound.send(
                http, "POST", url, what=what, headers=headers, content=body, credential_in_body=credential_in_body
            )
    except outbound.StatusError as exc:
        message = str(exc) + (f": {reason}" if (reason := vendor_reason(exc.body)) else "")
        message = _without_url(message, url) if hide_url else message
        if 400 <= exc.status_code < 500:
            raise Refused(message) from None
        raise DeliveryFailed(message) from None
    except PollError as exc:
        raise DeliveryFailed(_without_url(str(exc), url) if hide_url else str(exc)) from None


def vendor_reason(body: bytes) -> str:
    """What the receiver said was wrong: PagerDuty's "errors" list, or a short text answer such as Slack's
    "invalid_payload"; "" when there is nothing printable to show."""
    try:
        answer = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return text[:200] if text.isprintable() else ""
    if isinstance(answer, dict) and isinstance(answer.get("errors"), list):
        return "; ".join(str(e) for e in answer["errors"])[:300]
    return ""


def _without_url(message: str, url: str) -> str:
    shown = str(httpx.URL(url).copy_with(query=None, userinfo=b"", fragment=None))
    return message.replace(shown, "<webhook URL>")
