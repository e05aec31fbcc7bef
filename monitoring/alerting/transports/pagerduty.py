"""Alerts to PagerDuty as Events API v2 events: a trigger when an integration goes down or failing,
a resolve with the same dedup_key when it recovers.

A notify entry "pagerduty:erp" sends with the routing (integration) key in PLUMBLINE_CRED_PAGERDUTY_ERP
to {PLUMBLINE_PAGERDUTY_URL}/v2/enqueue. One dedup_key per outage (content.dedup_key): every flip of
one outage, and its recovery, address the same PagerDuty alert. A roll-up sends one event per
integration it covers, so each recovery resolves its own. PagerDuty answers 202 with
{"status": "success", "dedup_key": ...}; 400 "invalid event" is Refused (not retried), 429 and 5xx are
tried again later. See README.md in this folder for the pages followed.
"""

from __future__ import annotations

import json
from typing import Any

from catalog.choices import HealthState
from monitoring import conf
from monitoring.alerting import content
from monitoring.alerting.transports.posting import DeliveryFailed, credential, post_json
from monitoring.models import Alert

SEVERITY = {HealthState.DOWN: "critical", HealthState.FAILING: "error"}


def events(alert: Alert, routing_key: str) -> list[dict[str, Any]]:
    """The Events API v2 bodies for this alert: one per integration it is about."""
    details = alert.details or {}
    others = content.others_told(details, alert.recipient)
    return [_event(about, routing_key, others) for about in details.get("integrations", [])]


def _event(about: content.Details, routing_key: str, others: list[str]) -> dict[str, Any]:
    if about["to_state"] == HealthState.UP:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": about["dedup_key"]}
    state = about["to_state"]
    details = {
        "integration": about["key"],
        "route": about["route"],
        "reason": about["reason"],
        "owner": about["owner"] or "none named",
        "run": content.run_line(about),
        "failed_records": content.record_lines(about),
        "runbook": about["runbook"] or "none in the spec (documentation)",
        "blast_radius": content.blast_radius_line(about),
        "also_told": others,
        "health_page": about["health_url"],
    }
    if frozen := content.freeze_line(about):
        details["close_freeze"] = frozen
    links = [
        {"href": url, "text": text}
        for text, url in (("Health page", about["health_url"]), ("Runbook", about["runbook"]))
        if url.startswith(("http://", "https://"))
    ]
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": about["dedup_key"],
        "payload": {
            "summary": f"[Plumbline] {about['name']} is {state.upper()}: {about['reason']}".rstrip(": ")[:1024],
            "source": about["key"],
            "severity": SEVERITY.get(state, "warning"),
            "timestamp": about["at"],
            "component": about["blast_radius_system"] or about["key"],
            "group": "plumbline",
            "class": state,
            "custom_details": details,
        },
        "client": "Plumbline",
        "links": links,
    }
    if conf.base_url().startswith(("http://", "https://")):
        event["client_url"] = conf.base_url()
    return event


def send(alert: Alert) -> None:
    routing_key = credential(alert.recipient)
    url = conf.pagerduty_url() + "/v2/enqueue"
    for event in events(alert, routing_key):
        what = f"PagerDuty {alert.recipient} {event['event_action']}"
        # The routing key rides in the body: a redirect to another origin is refused, never followed.
        reply = post_json(url, json.dumps(event).encode(), what=what, hide_url=False, credential_in_body=True)
        answer = reply.json(what) if reply.content else {}
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise DeliveryFailed(f"{what}: answered {reply.content[:200]!r}, not success")
