"""Polling pulled sources through the real http adapter against a status page on 127.0.0.1."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from monitoring.ingest.polling import claim_due, poll_due_sources, poll_source
from monitoring.models import HealthSource, Run
from tests.monitoring.conftest import make_integration, minutes, source_of
from tests.monitoring.standins import Answer, StatusPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]


def status(*runs: dict, failed: list | None = None) -> dict:
    return {"runs": list(runs), "failed_records": failed or []}


def run(run_id: str, finished: str, status: str = "success", **counts) -> dict:
    return {"id": run_id, "started_at": finished, "finished_at": finished, "status": status, **counts}


def now_iso(offset_minutes: float = 0) -> str:
    return (timezone.now() + minutes(offset_minutes)).isoformat()


def test_polling_a_status_url_records_its_runs_and_state():
    page = StatusPage(status(run("r-2", now_iso(-1), records_out=4), run("r-1", now_iso(-16))))
    with page as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        outcome = poll_source(integration.pk)
    assert outcome.error == ""
    assert sorted(Run.objects.values_list("external_id", flat=True)) == ["r-1", "r-2"]
    assert source_of(integration).state == "up"


def test_polling_twice_stores_each_run_once():
    page = StatusPage(status(run("r-1", now_iso(-1))))
    with page as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        poll_source(integration.pk)
        poll_source(integration.pk)
    assert Run.objects.count() == 1


def test_a_poll_that_fails_is_recorded_and_changes_no_state():
    page = StatusPage(b"<html>maintenance</html>")
    with page as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        outcome = poll_source(integration.pk)
    source = source_of(integration)
    assert "not valid JSON" in outcome.error
    assert (source.state, source.last_poll_error != "") == ("unknown", True)


def test_a_private_address_is_refused_without_the_allow_list(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = []
    with StatusPage(status()) as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        outcome = poll_source(integration.pk)
    assert outcome.error
    assert not Run.objects.exists()


def test_heartbeat_and_paused_sources_are_not_polled():
    heartbeat = make_integration("payments", kind="heartbeat")
    assert poll_source(heartbeat.pk).polled is False


def test_due_sources_are_claimed_once():
    make_integration("orders", kind="http", health_url="https://orders.example.com/status")
    HealthSource.objects.update(next_poll_at=timezone.now() - minutes(1))
    first, second = claim_due(), claim_due()
    assert len(first) == 1 and second == []
    assert source_of(HealthSource.objects.get().integration).next_poll_at > timezone.now() + minutes(4)


def test_poll_due_sources_hands_due_sources_to_the_queue_in_batches(settings):
    settings.PLUMBLINE_POLL_BATCH = 5
    for key in ("a", "b"):
        make_integration(key, kind="http", health_url="https://x.example.com/status")
    make_integration("c", kind="heartbeat")
    HealthSource.objects.update(next_poll_at=timezone.now() - minutes(1))
    batches = []
    assert poll_due_sources(batches.append) == 2
    assert len(batches) == 1 and len(batches[0]) == 2


def test_check_health_polls_now_and_prints_each_state():
    with StatusPage(status(run("r-1", now_iso(-1)))) as base_url:
        make_integration("orders", kind="http", health_url=f"{base_url}/status")
        make_integration("payments", kind="heartbeat")
        out = io.StringIO()
        call_command("check_health", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["orders", "http", "up"]
    assert lines[1].split()[:3] == ["payments", "heartbeat", "unknown"]


def test_check_health_of_one_key_and_of_an_unknown_key():
    make_integration("payments", kind="heartbeat")
    out = io.StringIO()
    call_command("check_health", "payments", stdout=out)
    assert out.getvalue().startswith("payments")
    with pytest.raises(CommandError, match="unknown integration"):
        call_command("check_health", "nope", stdout=io.StringIO())


def test_text_a_database_refuses_is_stored_readable_and_the_poll_goes_on():
    page = StatusPage(status(run("r-1", now_iso(-1), status="failed", message="ledger\u0000closed \ud800")))
    with page as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        outcome = poll_source(integration.pk)
    assert outcome.error == ""
    assert Run.objects.get().message == "ledger\ufffdclosed ?"


@pytest.mark.parametrize(
    "bad, error",
    [
        ({"records_in": 2**63}, "records_in must be at most 9223372036854775807"),
        (
            {"finished_at": "9999-12-31T23:59:59-11:59"},
            "finished_at falls outside the years 1 to 9999 once turned to UTC",
        ),
        ({"finished_at": "2026-05-01T10:00:00+20:00"}, "finished_at has a UTC offset no time zone uses"),
    ],
)
def test_a_value_no_column_holds_is_a_poll_error_of_that_source(bad, error):
    page = StatusPage(status({**run("r-1", now_iso(-1)), **bad}))
    with page as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        outcome = poll_source(integration.pk)
    assert error in outcome.error
    assert error in source_of(integration).last_poll_error and not Run.objects.exists()


def test_a_poll_result_that_cannot_be_stored_fails_only_its_own_source(monkeypatch):
    """Adapters check what they read; should one let through what the database refuses, the other
    sources of the batch are still stored."""
    from monitoring.ingest.polling import poll_sources
    from monitoring.platforms import ADAPTERS
    from monitoring.platforms.contract import PollResult, RunObservation

    class Careless:
        def poll(self, target, client):
            count = 2**63 if target.url.endswith("/bad") else 5
            return PollResult(runs=[RunObservation("r-1", "success", timezone.now(), timezone.now(), count)])

    monkeypatch.setitem(ADAPTERS, "http", Careless())
    good = make_integration("orders", kind="http", health_url="https://status.example.com/good")
    bad = make_integration("payments", kind="http", health_url="https://status.example.com/bad")
    outcomes = poll_sources([bad.pk, good.pk])
    assert [o.polled for o in outcomes] == [True, True]
    assert "could not be stored" in outcomes[0].error and outcomes[1].recorded.new_runs == 1
    assert list(Run.objects.values_list("integration__key", "records_in")) == [("orders", 5)]
    assert "could not be stored" in source_of(bad).last_poll_error
    assert source_of(good).state == "up"


class BusyStatusPage(StatusPage):
    """A status page that first answers `refusals` times with `status` and Retry-After: `wait`."""

    def __init__(self, body: dict, *, status: int, wait: str | None, refusals: int = 1) -> None:
        super().__init__(body)
        self.refusals = refusals
        self.override("GET", "/status", self._answer)
        self._ok = Answer(200, body)
        self._busy = Answer(status, {"message": "slow down"}, {"Retry-After": wait} if wait else {})

    def _answer(self, request, match):
        if self.refusals:
            self.refusals -= 1
            return self._busy
        return self._ok


def test_a_429_with_a_short_retry_after_is_polled_again_in_the_same_pass():
    page = BusyStatusPage(status(run("r-1", now_iso(-1), records_out=3)), status=429, wait="1")
    with page as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        outcome = poll_source(integration.pk)
    assert outcome.error == "" and outcome.recorded.new_runs == 1
    assert len(page.requests_to("/status")) == 2
    assert source_of(integration).state == "up"


@pytest.mark.parametrize(
    "code, wait, error",
    [
        (429, "120", "rate limited (HTTP 429)"),
        (503, "120", "unavailable (HTTP 503)"),
        (503, None, "unavailable (HTTP 503)"),
    ],
)
def test_a_platform_that_refuses_for_now_is_a_poll_error_and_the_source_waits(code, wait, error):
    page = BusyStatusPage(status(run("r-1", now_iso(-1))), status=code, wait=wait, refusals=5)
    with page as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        before = timezone.now()
        outcome = poll_source(integration.pk)
    source = source_of(integration)
    assert error in outcome.error and error in source.last_poll_error
    assert len(page.requests_to("/status")) == 1  # a long wait is not waited out within the poll
    assert source.state == "unknown"  # the platform's trouble, not the integration being down
    if wait:
        assert "asked to retry after 120 s" in source.last_poll_error
        assert source.next_poll_at >= before + minutes(2)


def test_check_health_without_keys_also_discovers_platforms_and_sends_alerts(mailoutbox, monkeypatch):
    from catalog.models import PlatformAccount
    from monitoring.models import ObservedConnection
    from tests.monitoring.standins import CeligoStandIn

    flows = [{"_id": "f-1", "name": "Orders to NetSuite"}, {"_id": "f-2", "name": "Refunds to NetSuite"}]
    with (
        StatusPage(status(run("r-1", now_iso(-1), status="failed"))) as status_url,
        CeligoStandIn(token="celigo-token", jobs=[], flows=flows) as celigo_url,
    ):
        PlatformAccount.objects.create(
            key="celigo-prod", platform="celigo", base_url=celigo_url, secret_env="PLUMBLINE_CRED_CHECK_CELIGO"
        )
        make_integration("orders", kind="http", health_url=f"{status_url}/status")
        monkeypatch.setenv("PLUMBLINE_CRED_CHECK_CELIGO", "celigo-token")
        out = io.StringIO()
        call_command("check_health", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["orders", "http", "failing"]
    assert "discovery: 1 platform account(s) read, 2 process(es) running" in lines
    assert sorted(ObservedConnection.objects.values_list("ref", flat=True)) == ["f-1", "f-2"]
    assert "alerts: 1 sent" in lines
    assert [m.to for m in mailoutbox] == [["ana@example.com"]]
