"""Alerts: who is told of which flip, maintenance windows, roll-ups, sending exactly once, escalation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.utils import timezone

from monitoring.alerting import delivery
from monitoring.alerting.escalation import acknowledge, escalate_due
from monitoring.alerting.planning import RollupCandidate, group_rollups
from monitoring.alerting.transports.webhook import signature
from monitoring.health.lateness import evaluate_due
from monitoring.health.pipeline import record_poll
from monitoring.models import Alert, Flip, MaintenanceWindow
from monitoring.platforms.contract import PollResult, RunObservation
from tests.monitoring.conftest import T0, make_integration, make_person, make_system, minutes, source_of
from tests.monitoring.standins import Answer, StandIn

pytestmark = pytest.mark.django_db


def succeed(integration, at=T0) -> None:
    record_poll(integration, PollResult(runs=[RunObservation(f"ok-{at:%H%M}", "success", finished_at=at)]), now=at)


def fail(integration, at=T0) -> None:
    record_poll(integration, PollResult(runs=[RunObservation(f"bad-{at:%H%M}", "failed", finished_at=at)]), now=at)


def recipients() -> list[tuple[str, str]]:
    return sorted(Alert.objects.values_list("channel", "recipient"))


def test_going_down_alerts_the_owner_and_the_notify_list(db):
    integration = make_integration(notify=["finance-ops@example.com", "#finance-alerts", "ana@example.com"])
    succeed(integration)
    evaluate_due(T0 + minutes(46))
    assert recipients() == [
        ("email", "ana@example.com"),
        ("email", "finance-ops@example.com"),
        ("webhook", "#finance-alerts"),
    ]
    alert = Alert.objects.first()
    assert alert.subject == "[Plumbline] Invoices is DOWN"
    assert "/integrations/invoices/health/" in alert.body


def test_going_late_alerts_nobody(integration):
    succeed(integration)
    evaluate_due(T0 + minutes(16))
    assert not Alert.objects.exists()
    assert Flip.objects.get(to_state="late").alerts_planned_at is not None


def test_a_failing_run_and_its_recovery_each_alert_once(integration):
    fail(integration)
    succeed(integration, T0 + minutes(5))
    subjects = list(Alert.objects.order_by("id").values_list("subject", flat=True))
    assert subjects == ["[Plumbline] Invoices is FAILING", "[Plumbline] Invoices recovered (UP)"]


def test_the_backup_owner_is_told_while_the_owner_is_inactive(db):
    make_person("gone@example.com", active=False)
    integration = make_integration(owner="gone@example.com", backup="raj@example.com")
    fail(integration)
    assert recipients() == [("email", "raj@example.com")]


def test_a_maintenance_window_of_a_touched_system_suppresses_alerts(integration):
    MaintenanceWindow.objects.create(
        system=make_system("erp"), starts_at=T0, ends_at=T0 + minutes(120), reason="NetSuite upgrade"
    )
    succeed(integration)
    evaluate_due(T0 + minutes(46))
    flip = Flip.objects.get(to_state="down")
    assert not Alert.objects.exists()
    assert flip.suppressed_reason == "maintenance window of Erp: NetSuite upgrade"


def test_a_maintenance_window_that_has_ended_suppresses_nothing(integration):
    MaintenanceWindow.objects.create(system=make_system("erp"), starts_at=T0 - minutes(120), ends_at=T0)
    succeed(integration)
    evaluate_due(T0 + minutes(46))
    assert Alert.objects.count() == 1


def test_several_integrations_of_one_system_down_in_one_pass_roll_up_into_one_alert(db):
    feeds = [make_integration(f"feed-{n}", source=f"shop-{n}", target="erp") for n in range(3)]
    for feed in feeds:
        succeed(feed)
    evaluate_due(T0 + minutes(46))
    alert = Alert.objects.get()
    assert alert.system.key == "erp"
    assert alert.subject == "[Plumbline] Erp: 3 integrations are DOWN"
    assert alert.covers.count() == 3
    assert all(f"feed-{n}" in alert.body for n in range(3))


def test_flips_down_in_different_passes_are_not_rolled_up(db):
    first, second = make_integration("feed-1"), make_integration("feed-2")
    succeed(first)
    succeed(second, T0 + minutes(10))
    evaluate_due(T0 + minutes(46))
    evaluate_due(T0 + minutes(56))
    assert Alert.objects.filter(system=None).count() == 2


def test_a_flip_joins_only_the_largest_roll_up():
    candidates = [
        RollupCandidate(1, "e", frozenset({10, 20})),
        RollupCandidate(2, "e", frozenset({10, 30})),
        RollupCandidate(3, "e", frozenset({10, 20})),
        RollupCandidate(4, "e", frozenset({40})),
    ]
    assert group_rollups(candidates, {10: "netsuite", 20: "shopify", 30: "stripe", 40: "hr"}) == [(10, [1, 2, 3])]


def test_an_alert_is_sent_once_however_often_sending_runs(integration):
    fail(integration)
    assert delivery.send_pending() == 1
    assert delivery.send_pending() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.com"]
    assert Alert.objects.get().sent_at is not None


def test_only_one_claim_of_an_alert_succeeds(integration):
    fail(integration)
    alert = Alert.objects.get()
    assert [delivery.claim(alert.pk, T0), delivery.claim(alert.pk, T0)] == [True, False]


def test_an_alert_a_dead_worker_claimed_is_sent_after_the_lease(integration, settings):
    settings.PLUMBLINE_ALERT_MAX_ATTEMPTS = 3
    fail(integration)
    alert = Alert.objects.get()
    now = timezone.now()
    # A worker claimed it a minute ago and may still be sending: left alone.
    Alert.objects.filter(pk=alert.pk).update(claimed_at=now - dt.timedelta(minutes=1))
    assert delivery.send_pending() == 0
    # Its claim is older than the lease: that worker died between claim and send.
    Alert.objects.filter(pk=alert.pk).update(claimed_at=now - delivery.CLAIM_LEASE - dt.timedelta(seconds=1))
    assert delivery.send_pending() == 1
    assert delivery.send_pending() == 0
    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert alert.sent_at is not None and alert.attempts == 1  # the dead worker's try is counted


def test_an_abandoned_claim_is_not_taken_once_attempts_are_used_up(integration, settings):
    settings.PLUMBLINE_ALERT_MAX_ATTEMPTS = 2
    fail(integration)
    stale = timezone.now() - delivery.CLAIM_LEASE - dt.timedelta(minutes=1)
    Alert.objects.update(claimed_at=stale, attempts=2)
    assert delivery.send_pending() == 0
    assert mail.outbox == []


class WebhookReceiver(StandIn):
    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.route("POST", r"/hooks/.*", lambda request, match: Answer(status, {"ok": status == 200}))


@pytest.fixture
def loopback(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    settings.PLUMBLINE_WEBHOOK_SECRET = "s3cret"


def test_a_webhook_alert_is_a_signed_slack_compatible_post(loopback, settings, db):
    integration = make_integration(owner=None, notify=["#finance-alerts"])
    receiver = WebhookReceiver()
    with receiver as base_url:
        settings.PLUMBLINE_WEBHOOKS = {"#finance-alerts": f"{base_url}/hooks/T000/B000/XXXX"}
        fail(integration)
        assert delivery.send_pending() == 1
    [request] = receiver.requests
    assert request.headers["x-plumbline-signature"] == signature(request.body, "s3cret")
    assert json.loads(request.body)["text"].startswith("[Plumbline] Invoices is FAILING\n")


def test_a_webhook_named_by_environment_variable(loopback, monkeypatch, db):
    integration = make_integration(owner=None, notify=["#ops-room"])
    receiver = WebhookReceiver()
    with receiver as base_url:
        monkeypatch.setenv("PLUMBLINE_WEBHOOK_OPS_ROOM", f"{base_url}/hooks/ops")
        fail(integration)
        delivery.send_pending()
    assert len(receiver.requests) == 1


def test_a_failed_webhook_is_retried_then_left_failed_without_leaking_its_url(loopback, settings, db):
    settings.PLUMBLINE_ALERT_MAX_ATTEMPTS = 2
    integration = make_integration(owner=None, notify=["#finance-alerts"])
    receiver = WebhookReceiver(status=500)
    with receiver as base_url:
        settings.PLUMBLINE_WEBHOOKS = {"#finance-alerts": f"{base_url}/hooks/T000/SECRET"}
        fail(integration)
        sent = [delivery.send_pending() for _ in range(3)]
    alert = Alert.objects.get()
    assert sent == [0, 0, 0]
    assert len(receiver.requests) == 2
    assert (alert.attempts, alert.sent_at) == (2, None)
    assert "HTTP 500" in alert.error
    assert "SECRET" not in alert.error


def test_an_unconfigured_channel_is_recorded_as_an_error(db):
    integration = make_integration(owner=None, notify=["#nowhere"])
    fail(integration)
    delivery.send_pending()
    assert "PLUMBLINE_WEBHOOK_NOWHERE" in Alert.objects.get().error


@pytest.fixture
def escalating(db, settings):
    settings.PLUMBLINE_ESCALATE_AFTER_MINUTES = 30
    manager = make_person("cfo@example.com")
    owner = make_person("ana@example.com")
    owner.manager = manager
    owner.save()
    integration = make_integration(owner="ana@example.com", backup="raj@example.com")
    fail(integration)
    Alert.objects.update(sent_at=T0)
    return integration


def escalated_to() -> list[tuple[int, str]]:
    return list(
        Alert.objects.filter(escalation_level__gt=0).order_by("id").values_list("escalation_level", "recipient")
    )


def test_an_unacknowledged_alert_escalates_to_the_backup_owner_then_the_manager(escalating):
    assert escalate_due(T0 + minutes(29)) == 0
    assert escalate_due(T0 + minutes(31)) == 1
    Alert.objects.filter(escalation_level=1).update(sent_at=T0 + minutes(31))
    assert escalate_due(T0 + minutes(32)) == 0  # the backup owner gets their own 30 minutes
    assert escalate_due(T0 + minutes(62)) == 1
    assert escalated_to() == [(1, "raj@example.com"), (2, "cfo@example.com")]
    assert Alert.objects.filter(escalation_level=1).get().subject.startswith("Escalated: ")


def test_an_acknowledged_alert_does_not_escalate(escalating):
    acknowledge(Alert.objects.get(), user=None, now=T0 + minutes(5))
    assert escalate_due(T0 + minutes(31)) == 0


def test_a_recovered_integration_does_not_escalate(escalating):
    succeed(escalating, T0 + minutes(10))
    Alert.objects.update(sent_at=T0)
    assert escalate_due(T0 + minutes(31)) == 0


def test_escalating_twice_at_once_tells_the_backup_owner_once(escalating):
    escalate_due(T0 + minutes(31))
    escalate_due(T0 + minutes(31))
    assert escalated_to() == [(1, "raj@example.com")]
    assert source_of(escalating).state == "failing"
