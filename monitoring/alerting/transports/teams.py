"""Alerts to Microsoft Teams through a Workflows (Power Automate) webhook, as an Adaptive Card.

A notify entry "teams:finance" posts to the URL in PLUMBLINE_CRED_TEAMS_FINANCE: the HTTP URL of a
flow started by "When a Teams webhook request is received" that posts the card to a channel or chat.
The body is a message with one attachment of contentType application/vnd.microsoft.card.adaptive;
the flow answers 202 Accepted. Workflows take Adaptive Cards only, never the old connector MessageCard.
See README.md in this folder for the pages followed.
"""

from __future__ import annotations

import json
from typing import Any

from catalog.choices import HealthState
from monitoring.alerting import content
from monitoring.alerting.transports.posting import credential, post_json
from monitoring.models import Alert

CARD_VERSION = "1.4"
MAX_SHOWN = 10


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _about(about: content.Details) -> list[dict[str, Any]]:
    facts = [
        {"title": "State", "value": f"{about['from_state']} → {about['to_state'].upper()}"},
        {"title": "At", "value": f"{about['at'][:16].replace('T', ' ')} UTC"},
        {"title": "Route", "value": about["route"] or "not declared"},
        {"title": "Owner", "value": about["owner"] or "none named"},
    ]
    if about["to_state"] != HealthState.UP:
        if frozen := content.freeze_line(about):
            facts.append({"title": "Close freeze", "value": frozen})
        facts += [
            {"title": "Run", "value": content.run_line(about)},
            {"title": "Runbook", "value": about["runbook"] or "none in the spec (documentation)"},
            {"title": "Blast radius", "value": content.blast_radius_line(about)},
        ]
    blocks = [
        _text(f"{about['name']} ({about['key']})", weight="Bolder", separator=True),
        _text(about["reason"], isSubtle=True) if about["reason"] else None,
        {"type": "FactSet", "facts": facts},
    ]
    if records := content.record_lines(about):
        blocks.append(_text("First failed records:\n\n" + "\n".join(f"- {line}" for line in records)))
    return [b for b in blocks if b]


def card(alert: Alert) -> dict[str, Any]:
    details = alert.details or {}
    shown = details.get("integrations", [])
    body: list[dict[str, Any]] = [_text(alert.subject, size="Medium", weight="Bolder")]
    if details.get("system"):
        body.append(_text(f"{len(shown)} integrations touching {details['system']} went down together."))
    for about in shown[:MAX_SHOWN]:
        body += _about(about)
    if len(shown) > MAX_SHOWN:
        body.append(_text(f"and {len(shown) - MAX_SHOWN} more: see Plumbline's health board"))
    others = content.others_told(details, alert.recipient)
    body.append(_text(f"Also told: {', '.join(others) if others else 'nobody else'}", isSubtle=True))
    actions = []
    if len(shown) == 1:
        links = [("Health page", shown[0]["health_url"]), ("Runbook", shown[0]["runbook"])]
        actions = [
            {"type": "Action.OpenUrl", "title": title, "url": url}
            for title, url in links
            if url.startswith(("http://", "https://"))
        ]
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        **({"actions": actions} if actions else {}),
    }


def payload(alert: Alert) -> dict[str, Any]:
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card(alert)}
    return {"type": "message", "attachments": [attachment]}


def send(alert: Alert) -> None:
    url = credential(alert.recipient)
    post_json(url, json.dumps(payload(alert)).encode(), what=f"Teams {alert.recipient}")
