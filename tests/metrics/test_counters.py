"""Each event counter moves by exactly what happened: real pings through the views, a poll of a
real status page, a flip and its alerts, a reminder sent; read back through /metrics."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core import mail

from catalog.models import Person
from catalog.reminders import send_reminders
from monitoring.alerting import delivery
from monitoring.health.lateness import evaluate_due
from monitoring.ingest.polling import poll_source
from tests.catalog.test_readiness_support import ready_integration
from tests.metrics.scrape import moved, sample, scrape
from tests.monitoring.conftest import T0, make_integration, minutes
from tests.monitoring.standins import Answer, StandIn, StatusPage
from tests.monitoring.test_alerts import fail, succeed

pytestmark = pytest.mark.django_db

PINGS = ("plumbline_pings_accepted_total", "plumbline_pings_refused_total")
POLLS = ("plumbline_polls_total", "plumbline_poll_duration_seconds_count")
ALERTS = ("plumbline_flips_total", "plumbline_alerts_sent_total", "plumbline_alerts_failed_total")


def test_pings_are_counted_accepted_by_signal_and_refused_by_status(client, settings):
    settings.PLUMBLINE_PING_RATE_PER_MINUTE = 3
    url = f"/ping/{make_integration().ping_uuid}"
    before = scrape()
    answers = [
        client.get(url).status_code,
        client.get(f"{url}/start").status_code,
        client.post(url, b'{"records_out": 2}', content_type="application/json").status_code,
        client.get(url).status_code,  # the fourth in a minute: over the limit
        client.post(url, b"{not json", content_type="application/json").status_code,
        client.post(url, json.dumps({"message": "x" * 200_000}), content_type="application/json").status_code,
        client.get(f"/ping/{uuid.uuid4()}").status_code,
    ]
    assert answers == [200, 200, 200, 429, 400, 413, 404]
    assert moved(before, scrape(), PINGS) == {
        sample("plumbline_pings_accepted_total", signal="success"): 2,
        sample("plumbline_pings_accepted_total", signal="start"): 1,
        sample("plumbline_pings_refused_total", status="429"): 1,
        sample("plumbline_pings_refused_total", status="400"): 1,
        sample("plumbline_pings_refused_total", status="413"): 1,
        sample("plumbline_pings_refused_total", status="404"): 1,
    }


def test_polls_are_counted_by_platform_and_outcome_with_their_duration(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    good = {"runs": [{"id": "r-1", "finished_at": "2026-05-01T12:00:00Z", "status": "success"}]}
    before = scrape()
    with StatusPage(good) as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        assert poll_source(integration.pk).error == ""
        assert poll_source(integration.pk).error == ""
    with StatusPage(b"<html>maintenance</html>") as base_url:
        broken = make_integration("returns", kind="http", health_url=f"{base_url}/status")
        assert "not valid JSON" in poll_source(broken.pk).error
    after = scrape()
    assert moved(before, after, POLLS) == {
        sample("plumbline_polls_total", platform="http", outcome="ok"): 2,
        sample("plumbline_polls_total", platform="http", outcome="error"): 1,
        sample("plumbline_poll_duration_seconds_count", platform="http"): 3,
    }
    duration = moved(before, after, ("plumbline_poll_duration_seconds_sum",))
    assert 0 < duration[sample("plumbline_poll_duration_seconds_sum", platform="http")] < 30


class WebhookReceiver(StandIn):
    def __init__(self, status: int) -> None:
        super().__init__()
        self.route("POST", r"/hooks/.*", lambda request, match: Answer(status, {"ok": status == 200}))


def test_flips_are_counted_by_state_and_alerts_by_channel_sent_or_failed(settings, django_capture_on_commit_callbacks):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    integration = make_integration(notify=["finance-ops@example.com", "#finance-alerts"])
    before = scrape()
    with WebhookReceiver(status=500) as base_url:
        settings.PLUMBLINE_WEBHOOKS = {"#finance-alerts": f"{base_url}/hooks/T000/B000"}
        with django_capture_on_commit_callbacks(execute=True):
            succeed(integration)  # unknown -> up
            evaluate_due(T0 + minutes(46))  # no run for 46 minutes: up -> down, alerting owner, list and webhook
        assert delivery.send_pending() == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["ana@example.com", "finance-ops@example.com"]
    assert moved(before, scrape(), ALERTS) == {
        sample("plumbline_flips_total", to_state="up"): 1,
        sample("plumbline_flips_total", to_state="down"): 1,
        sample("plumbline_alerts_sent_total", channel="email"): 2,
        sample("plumbline_alerts_failed_total", channel="webhook"): 1,
    }


def test_a_flip_rolled_back_is_not_counted(django_capture_on_commit_callbacks):
    from django.db import transaction

    integration = make_integration()
    before = scrape()

    class Undone(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Undone), transaction.atomic():
        fail(integration)
        raise Undone
    assert moved(before, scrape(), ALERTS) == {}


def test_reminder_sends_are_counted(settings, mailoutbox):
    settings.PLUMBLINE_BASE_URL = "https://plumbline.example.com"
    owner = Person.objects.create(email="ana.lopez@example.com", name="Ana Lopez")
    ready_integration("invoices", owner=owner, reviewed_at=None)  # never reviewed: a stale spec to remind of
    before = scrape()
    assert send_reminders().sent == 1
    assert send_reminders().skipped == 1  # already sent this period: not counted again
    assert len(mailoutbox) == 1
    names = ("plumbline_reminders_sent_total", "plumbline_reminders_failed_total")
    assert moved(before, scrape(), names) == {sample("plumbline_reminders_sent_total"): 1}
