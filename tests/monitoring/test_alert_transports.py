"""Alerts that say what to do, sent to Slack, Teams and PagerDuty stand-ins in each vendor's documented shape."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Integration
from monitoring.alerting import delivery
from monitoring.alerting.transports.standin import PagerDutyStandIn, SlackStandIn, TeamsStandIn
from monitoring.health.lateness import evaluate_due
from monitoring.health.pipeline import record_poll
from monitoring.models import Alert
from monitoring.platforms.contract import FailedRecordObservation, PollResult, RunObservation
from tests.monitoring.conftest import T0, make_integration, make_system, minutes

pytestmark = pytest.mark.django_db

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"  # 32 characters, as PagerDuty's are
RUNBOOK = "https://wiki.example.com/runbooks/invoices"
BASE = "https://plumbline.example.com"


@pytest.fixture
def loopback(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    settings.PLUMBLINE_BASE_URL = BASE


def invoices(notify: list[str]) -> Integration:
    """Invoices (billing → erp) with a runbook, and two live integrations reading from erp."""
    integration = make_integration(notify=notify, documentation=RUNBOOK)
    for key in ("erp-to-warehouse", "erp-to-bank"):
        Integration.objects.create(key=key, name=key, source=make_system("erp"), target=make_system("other"))
    Integration.objects.create(
        key="erp-retired", name="Retired", source=make_system("erp"), target=make_system("x"), lifecycle="retired"
    )
    return integration


def fail_with_records(integration, count: int = 7, at=T0) -> None:
    records = [
        FailedRecordObservation(f"INV-{n:03}", f"customer {n} <missing> & unknown", run_external_id="run-42")
        for n in range(count)
    ]
    run = RunObservation("run-42", "failed", finished_at=at, message="NetSuite refused 7 of 120 invoices")
    record_poll(integration, PollResult(runs=[run], failed_records=records), now=at)


def succeed(integration, at) -> None:
    record_poll(integration, PollResult(runs=[RunObservation(f"ok-{at:%H%M}", "success", finished_at=at)]), now=at)


# --- what every alert says -------------------------------------------------------------------------


def test_an_email_alert_says_the_run_records_runbook_blast_radius_who_else_and_the_health_page(loopback, db):
    fail_with_records(invoices(["raj@example.com", "slack:#finance-alerts"]))
    delivery.send_pending()
    [message] = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    body = message.body
    assert "Run run-42 (failed at 2026-05-01 12:00 UTC): NetSuite refused 7 of 120 invoices" in body
    assert "INV-000: customer 0 <missing> & unknown" in body
    assert "INV-004" in body and "INV-005" not in body
    assert "and 2 more failed records" in body
    assert f"Runbook: {RUNBOOK}" in body
    assert (
        "Blast radius: 2 other running integrations read from Erp, the system this one writes to "
        "(erp-to-bank, erp-to-warehouse)." in body
    )
    assert f"Health page: {BASE}/integrations/invoices/health/" in body
    assert "Also told: raj@example.com, slack:#finance-alerts" in body


def test_a_recovery_says_no_records_and_no_blast_radius(loopback, db):
    integration = invoices([])
    fail_with_records(integration)
    succeed(integration, T0 + minutes(5))
    recovery = Alert.objects.order_by("id").last()
    assert recovery.subject == "[Plumbline] Invoices recovered (UP)"
    assert "Blast radius" not in recovery.body
    assert recovery.details["integrations"][0]["failed_records"] == []


def test_an_integration_without_a_target_system_has_an_unknown_blast_radius(loopback, db):
    integration = invoices([])
    Integration.objects.filter(pk=integration.pk).update(target=None)
    fail_with_records(Integration.objects.get(pk=integration.pk))
    assert "Blast radius: unknown, no target system is declared." in Alert.objects.get().body


def test_the_signed_webhook_carries_the_details_too(loopback, settings, db):
    integration = invoices(["#ops"])
    slack = SlackStandIn()  # any receiver that answers 200 will do
    with slack as base_url:
        settings.PLUMBLINE_WEBHOOKS = {"#ops": base_url + SlackStandIn.PATH}
        fail_with_records(integration)
        delivery.send_pending()
    [body] = [r.json() for r in slack.requests]
    about = body["details"]["integrations"][0]
    assert (about["run"]["id"], about["blast_radius"], about["runbook"]) == ("run-42", 2, RUNBOOK)


# --- Slack ------------------------------------------------------------------------------------------


def test_a_slack_alert_is_block_kit_with_a_plain_text_fallback(loopback, monkeypatch, db):
    integration = invoices(["slack:#finance-alerts"])
    slack = SlackStandIn()
    with slack as base_url:
        monkeypatch.setenv("PLUMBLINE_CRED_SLACK_FINANCE_ALERTS", base_url + SlackStandIn.PATH)
        fail_with_records(integration)
        assert delivery.send_pending() == 2  # Ana by email, the Slack channel
    [message] = slack.received
    assert message["text"].startswith("[Plumbline] Invoices is FAILING\n")
    blocks = message["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "context", "actions"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": "[Plumbline] Invoices is FAILING", "emoji": False}
    section = blocks[1]["text"]
    assert section["type"] == "mrkdwn" and len(section["text"]) <= 3000
    assert f"<{BASE}/integrations/invoices/health/|Invoices>" in section["text"]
    assert "INV-000: customer 0 &lt;missing&gt; &amp; unknown" in section["text"]  # mrkdwn escaped
    assert f"Runbook: <{RUNBOOK}|{RUNBOOK}>" in section["text"]
    assert "Blast radius: 2 other running integrations read from Erp" in section["text"]
    assert blocks[2]["elements"] == [{"type": "mrkdwn", "text": "Also told: ana@example.com"}]
    buttons = blocks[3]["elements"]
    assert [(b["type"], b["text"]["type"], b["url"]) for b in buttons] == [
        ("button", "plain_text", f"{BASE}/integrations/invoices/health/"),
        ("button", "plain_text", RUNBOOK),
    ]
    assert all(len(b["action_id"]) <= 255 and len(b["text"]["text"]) <= 75 for b in buttons)


def test_a_slack_roll_up_keeps_within_fifty_blocks(loopback, monkeypatch, db):
    feeds = [make_integration(f"feed-{n:02}", owner=None, notify=["slack:#ops"]) for n in range(60)]
    for feed in feeds:
        succeed(feed, T0)
    slack = SlackStandIn()
    with slack as base_url:
        monkeypatch.setenv("PLUMBLINE_CRED_SLACK_OPS", base_url + SlackStandIn.PATH)
        evaluate_due(T0 + minutes(46))
        assert delivery.send_pending() == 1
    [message] = slack.received
    assert len(message["blocks"]) <= 50
    assert message["blocks"][0]["text"]["text"] == "[Plumbline] Billing: 60 integrations are DOWN"
    assert "and 50 more" in json.dumps(message["blocks"])


def test_a_slack_webhook_url_that_is_gone_is_refused_not_retried_and_not_leaked(loopback, monkeypatch, db):
    integration = invoices(["slack:#finance-alerts"])
    slack = SlackStandIn()
    with slack as base_url:
        monkeypatch.setenv("PLUMBLINE_CRED_SLACK_FINANCE_ALERTS", base_url + "/services/T0/B0/revoked")
        fail_with_records(integration)
        delivery.send_pending()
        # Even once its claim is older than the lease, a refused alert is not tried again.
        Alert.objects.filter(channel="slack").update(claimed_at=T0 - delivery.CLAIM_LEASE)
        delivery.send_pending()
    alert = Alert.objects.get(channel="slack")
    assert len(slack.requests) == 1
    assert alert.sent_at is None and alert.error.startswith("refused, not retried: ")
    assert "HTTP 404" in alert.error and alert.error.endswith(": no_service")  # Slack's own reason
    assert "revoked" not in alert.error


def test_a_slack_server_error_is_retried_on_a_later_pass(loopback, monkeypatch, settings, db):
    settings.PLUMBLINE_ALERT_MAX_ATTEMPTS = 3
    integration = invoices(["slack:#finance-alerts"])
    slack = SlackStandIn(status=500)
    with slack as base_url:
        monkeypatch.setenv("PLUMBLINE_CRED_SLACK_FINANCE_ALERTS", base_url + SlackStandIn.PATH)
        fail_with_records(integration)
        delivery.send_pending()
        slack.status = None
        delivery.send_pending()
    alert = Alert.objects.get(channel="slack")
    assert len(slack.requests) == 2
    assert alert.sent_at is not None and alert.attempts == 1 and alert.error == ""


def test_a_slack_entry_without_its_variable_fails_naming_the_variable(loopback, db):
    fail_with_records(invoices(["slack:#finance-alerts"]))
    delivery.send_pending()
    alert = Alert.objects.get(channel="slack")
    assert alert.sent_at is None
    assert alert.error == (
        "nothing to send slack:#finance-alerts to: environment variable PLUMBLINE_CRED_SLACK_FINANCE_ALERTS is not set"
    )


# --- Microsoft Teams --------------------------------------------------------------------------------


def test_a_teams_alert_is_an_adaptive_card_message_for_a_workflow(loopback, monkeypatch, db):
    integration = invoices(["teams:finance"])
    teams = TeamsStandIn()
    with teams as base_url:
        monkeypatch.setenv(
            "PLUMBLINE_CRED_TEAMS_FINANCE", f"{base_url}{TeamsStandIn.PATH}?api-version=1&sig=s3cret-sig"
        )
        fail_with_records(integration)
        assert delivery.send_pending() == 2
    [message] = teams.received
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert (card["type"], card["version"], card["$schema"]) == (
        "AdaptiveCard",
        "1.4",
        "http://adaptivecards.io/schemas/adaptive-card.json",
    )
    assert card["body"][0] == {
        "type": "TextBlock",
        "text": "[Plumbline] Invoices is FAILING",
        "wrap": True,
        "size": "Medium",
        "weight": "Bolder",
    }
    assert {b["type"] for b in card["body"]} == {"TextBlock", "FactSet"}
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["Run"] == "Run run-42 (failed at 2026-05-01 12:00 UTC): NetSuite refused 7 of 120 invoices"
    assert facts["Runbook"] == RUNBOOK
    assert facts["Blast radius"].startswith("Blast radius: 2 other running integrations read from Erp")
    texts = " ".join(b["text"] for b in card["body"] if b["type"] == "TextBlock")
    assert "INV-000: customer 0 <missing> & unknown" in texts and "and 2 more failed records" in texts
    assert "Also told: ana@example.com" in texts
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Health page", "url": f"{BASE}/integrations/invoices/health/"},
        {"type": "Action.OpenUrl", "title": "Runbook", "url": RUNBOOK},
    ]
    assert len(json.dumps(message)) < 28 * 1024  # Teams' message size limit


def test_a_teams_error_keeps_the_signed_url_out_of_the_alert(loopback, monkeypatch, db):
    integration = invoices(["teams:finance"])
    with TeamsStandIn() as base_url:
        monkeypatch.setenv("PLUMBLINE_CRED_TEAMS_FINANCE", f"{base_url}{TeamsStandIn.PATH}?sig=wrong-signature")
        fail_with_records(integration)
        delivery.send_pending()
    alert = Alert.objects.get(channel="teams")
    assert "credentials refused (HTTP 401)" in alert.error
    assert "wrong-signature" not in alert.error


# --- PagerDuty --------------------------------------------------------------------------------------


@pytest.fixture
def pagerduty(loopback, monkeypatch, settings):
    standin = PagerDutyStandIn()
    with standin as base_url:
        settings.PLUMBLINE_PAGERDUTY_URL = base_url
        monkeypatch.setenv("PLUMBLINE_CRED_PAGERDUTY_ERP", ROUTING_KEY)
        yield standin


def test_going_down_then_recovering_triggers_then_resolves_one_pagerduty_alert(pagerduty, db):
    integration = invoices(["pagerduty:erp"])
    succeed(integration, T0)
    evaluate_due(T0 + minutes(46))
    delivery.send_pending()
    succeed(integration, T0 + minutes(50))
    delivery.send_pending()
    trigger, resolve = pagerduty.received
    assert [r.path for r in pagerduty.requests] == ["/v2/enqueue", "/v2/enqueue"]
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert trigger["dedup_key"] == resolve["dedup_key"]
    assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": trigger["dedup_key"]}
    payload = trigger["payload"]
    assert trigger["routing_key"] == ROUTING_KEY
    assert (payload["severity"], payload["source"], payload["class"]) == ("critical", "invoices", "down")
    assert payload["summary"].startswith("[Plumbline] Invoices is DOWN")
    assert payload["timestamp"] == (T0 + minutes(46)).isoformat()  # when the lateness pass saw it down
    assert payload["custom_details"]["blast_radius"].startswith("Blast radius: 2 other running integrations")
    assert payload["custom_details"]["runbook"] == RUNBOOK
    assert trigger["links"] == [
        {"href": f"{BASE}/integrations/invoices/health/", "text": "Health page"},
        {"href": RUNBOOK, "text": "Runbook"},
    ]
    assert (trigger["client"], trigger["client_url"]) == ("Plumbline", BASE)


def test_each_outage_has_its_own_dedup_key_and_its_recovery_resolves_it(pagerduty, db):
    integration = invoices(["pagerduty:erp"])
    fail_with_records(integration, at=T0)
    succeed(integration, T0 + minutes(50))
    fail_with_records(integration, at=T0 + minutes(55))
    delivery.send_pending()
    (first, k1), (second, k2), (third, k3) = [(e["event_action"], e["dedup_key"]) for e in pagerduty.received]
    assert (first, second, third) == ("trigger", "resolve", "trigger")
    assert k1 == k2 != k3
    assert pagerduty.received[0]["payload"]["severity"] == "error"  # failing; down is critical


def test_a_roll_up_pages_each_integration_so_each_recovery_resolves_its_own(pagerduty, db):
    feeds = [make_integration(f"feed-{n}", owner=None, notify=["pagerduty:erp"]) for n in range(3)]
    for feed in feeds:
        succeed(feed, T0)
    evaluate_due(T0 + minutes(46))
    assert Alert.objects.get().system.key == "billing"  # one roll-up alert
    succeed(feeds[1], T0 + minutes(50))
    delivery.send_pending()
    triggers = [e for e in pagerduty.received if e["event_action"] == "trigger"]
    [resolve] = [e for e in pagerduty.received if e["event_action"] == "resolve"]
    assert sorted(e["payload"]["source"] for e in triggers) == ["feed-0", "feed-1", "feed-2"]
    assert len({e["dedup_key"] for e in triggers}) == 3
    assert resolve["dedup_key"] == next(e["dedup_key"] for e in triggers if e["payload"]["source"] == "feed-1")


def test_a_pagerduty_event_it_refuses_is_recorded_with_the_reason(pagerduty, monkeypatch, db):
    monkeypatch.setenv("PLUMBLINE_CRED_PAGERDUTY_ERP", "too-short")
    fail_with_records(invoices(["pagerduty:erp"]))
    delivery.send_pending()
    alert = Alert.objects.get(channel="pagerduty")
    assert alert.error.startswith("refused, not retried: PagerDuty pagerduty:erp trigger: unexpected HTTP 400")
    assert alert.error.endswith(": Length of 'routing_key' is incorrect (should be 32 characters)")
    assert "too-short" not in alert.error
    assert pagerduty.received == []


def test_a_pagerduty_server_error_is_retried(pagerduty, settings, db):
    settings.PLUMBLINE_ALERT_MAX_ATTEMPTS = 3
    pagerduty.status = 502
    fail_with_records(invoices(["pagerduty:erp"]))
    delivery.send_pending()
    alert = Alert.objects.get(channel="pagerduty")
    assert "server error (HTTP 502)" in alert.error and alert.claimed_at is None
    pagerduty.status = None
    delivery.send_pending()
    alert.refresh_from_db()
    assert alert.sent_at is not None and len(pagerduty.received) == 1


# --- cost -------------------------------------------------------------------------------------------


def content_queries(feeds: int) -> int:
    """Queries the lateness pass makes for alert content (runs, failed records, readers) when `feeds` go down."""
    Alert.objects.all().delete()
    for n in range(feeds):
        integration = make_integration(
            f"feed-{feeds}-{n}", source=f"shop-{feeds}-{n}", target=f"erp-{n}", notify=["ops@example.com"]
        )
        fail_with_records(integration, count=7, at=T0)
        succeed(integration, T0 + minutes(1))
        record_poll(
            integration,
            PollResult(failed_records=[FailedRecordObservation(f"K-{n}", "still open")]),
            now=T0 + minutes(1),
        )
    with CaptureQueriesContext(connection) as queries:
        evaluate_due(T0 + minutes(47))
    down = Alert.objects.filter(subject__endswith="is DOWN")
    assert down.count() == 2 * feeds  # the owner and ops, for each
    assert all("and 3 more failed records" in alert.body and "Run ok-1201" in alert.body for alert in down)
    tables = ('"monitoring_run"', '"monitoring_failedrecord"', 'FROM "catalog_integration"')
    return sum(1 for q in queries if any(t in q["sql"] for t in tables))


def test_alert_content_takes_as_many_queries_for_many_flips_as_for_few(loopback, db):
    assert content_queries(12) == content_queries(3)
