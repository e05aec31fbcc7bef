"""Alerts to Slack through an incoming webhook, laid out with Block Kit and a plain-text fallback.

A notify entry "slack:#finance-alerts" posts to the webhook URL in PLUMBLINE_CRED_SLACK_FINANCE_ALERTS.
Slack answers 200 with the body "ok"; a 4xx names what it refused (invalid_payload, channel_not_found,
...). Limits followed: at most 50 blocks, header text 150 characters, section text 3,000, button text
75; user text in mrkdwn has &, < and > escaped. See README.md in this folder for the pages followed.
"""

from __future__ import annotations

import json
from typing import Any

from catalog.choices import HealthState
from monitoring.alerting import content
from monitoring.alerting.transports.posting import DeliveryFailed, credential, post_json
from monitoring.models import Alert

MAX_SHOWN = 10  # integrations of a roll-up laid out as sections; the rest are counted


def escape(text: str) -> str:
    """Slack's mrkdwn control characters, as its docs ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": False}


def _link(url: str, label: str) -> str:
    if url.startswith(("http://", "https://")) and not any(c in url for c in "|<> "):
        return f"<{url}|{escape(label)}>"
    return escape(f"{label} ({url})" if url else label)


def _section(about: content.Details) -> dict[str, Any]:
    lines = [
        f"*{_link(about['health_url'], about['name'])}* (`{escape(about['key'])}`)"
        + (f": {escape(about['route'])}" if about["route"] else ""),
        f"*{escape(about['from_state'])} → {escape(about['to_state'].upper())}* at "
        f"{about['at'][:16].replace('T', ' ')} UTC",
    ]
    if about["reason"]:
        lines.append(escape(about["reason"]))
    if about["owner"]:
        lines.append(f"Owner: {escape(about['owner'])}")
    if about["to_state"] != HealthState.UP:
        if frozen := content.freeze_line(about):
            lines.append(f"*{escape(frozen)}*")
        lines.append(escape(content.run_line(about)))
        lines += [f"• {escape(line)}" for line in content.record_lines(about)]
        runbook = about["runbook"]
        lines.append(f"Runbook: {_link(runbook, runbook) if runbook else 'none in the spec (documentation)'}")
        lines.append(escape(content.blast_radius_line(about)))
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}}


def payload(alert: Alert) -> dict[str, Any]:
    details = alert.details or {}
    shown = details.get("integrations", [])
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(alert.subject, 150)}]
    if details.get("system"):
        summary = f"{len(shown)} integrations touching {details['system']} went down together."
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": escape(summary)}})
    blocks += [_section(about) for about in shown[:MAX_SHOWN]]
    if len(shown) > MAX_SHOWN:
        more = f"and {len(shown) - MAX_SHOWN} more: see Plumbline's health board"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    others = content.others_told(details, alert.recipient)
    told = f"Also told: {escape(', '.join(others)) if others else 'nobody else'}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": told[:3000]}]})
    if len(shown) == 1 and (buttons := _buttons(shown[0])):
        blocks.append({"type": "actions", "elements": buttons})
    # The top-level text is what notifications and screen readers show instead of the blocks.
    return {"text": f"{alert.subject}\n{alert.body}"[:3000], "blocks": blocks}


def _buttons(about: content.Details) -> list[dict[str, Any]]:
    links = [("health", "Health page", about["health_url"]), ("runbook", "Runbook", about["runbook"])]
    return [
        {"type": "button", "action_id": f"plumbline-{name}", "text": _plain(label, 75), "url": url[:3000]}
        for name, label, url in links
        if url.startswith(("http://", "https://"))
    ]


def send(alert: Alert) -> None:
    url = credential(alert.recipient)
    reply = post_json(url, json.dumps(payload(alert)).encode(), what=f"Slack {alert.recipient}")
    if reply.content.strip() != b"ok":
        raise DeliveryFailed(f"Slack {alert.recipient}: answered {reply.content[:100]!r}, not ok")
