"""/integrations/<key>/ answers first: health state and why, since when, last success, declared
vs observed interval in words, open failed records, review status, completeness; then its
findings, go-lives and what depends on it; then the spec. The owner confirms a review on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from catalog.models import ChangeRecord, GoLive, GoLiveIntegration, Integration, Reminder, StoredFinding, System
from catalog.models.findings import FindingCode, finding_title
from catalog.ownership import person_of
from catalog.rules.store import refresh_findings
from monitoring.health.pipeline import record_poll, record_poll_error
from monitoring.health.specs import sync_sources
from monitoring.models import HealthSource
from monitoring.platforms.contract import FailedRecordObservation, PollResult, RunObservation
from tests.pages.estate import load_estate, make_user

pytestmark = pytest.mark.django_db

KEY = "chargebee-invoices-to-netsuite"
PHASE_TWO = "shopify-orders-to-netsuite"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def estate(db: Any) -> None:
    load_estate()


def client_of(email: str, role: str | None) -> Client:
    client = Client()
    client.force_login(make_user(email, role))  # type: ignore[arg-type]
    return client


@pytest.fixture
def viewer(estate: None) -> Client:
    return client_of("viewer@example.com", "viewer")


@pytest.fixture
def owner(estate: None) -> Client:
    return client_of("ana.lopez@example.com", "owner")


def text(response: Any) -> str:
    return " ".join(response.content.decode().split())


def answers(response: Any) -> str:
    """The status header: everything before the findings section."""
    body = text(response)
    return body[body.index('<section class="answers"') : body.index('id="findings-heading"')]


def monitor(key: str = KEY) -> Integration:
    Integration.objects.filter(key=key).update(health_kind="heartbeat", health_grace_minutes=30)
    sync_sources([key])
    return Integration.objects.get(key=key)


def failing(now: dt.datetime) -> Integration:
    """Runs every 47 minutes (declared every 15), the last one failed with two failed records."""
    integration = monitor()
    runs = [RunObservation(f"r-{n}", "success", finished_at=now - dt.timedelta(minutes=47 * (4 - n))) for n in range(4)]
    record_poll(integration, PollResult(runs=runs), now=now - dt.timedelta(minutes=1))
    failed = [FailedRecordObservation("INV-1", "currency missing", occurred_at=now, run_external_id="r-9")]
    failed.append(FailedRecordObservation("INV-2", "currency missing", occurred_at=now, run_external_id="r-9"))
    result = PollResult(
        runs=[RunObservation("r-9", "failed", finished_at=now, records_failed=2, message="2 invoices refused")],
        failed_records=failed,
    )
    record_poll(integration, result, now=now)
    return integration


def test_a_failing_integration_says_failing_first_with_since_and_why(viewer):
    now = timezone.now()
    failing(now)
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert 'class="state-panel state-failing"' in header
    assert '<p class="state-word" id="health-state">Failing</p>' in header
    assert "since <time" in header and "ago)" in header
    why = header[header.index('<p class="why">') :]
    assert why.startswith('<p class="why">') and "failed" in why[: why.index("</p>")].lower()


def test_the_header_comes_before_the_spec_completeness(viewer):
    failing(timezone.now())
    body = text(viewer.get(f"/integrations/{KEY}/"))
    assert body.index('id="health-state"') < body.index('id="findings-heading"') < body.index("Spec completeness: 100%")


def test_declared_and_observed_intervals_read_in_words(viewer):
    failing(timezone.now())
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert "every 15 minutes declared; " in header
    assert '<span class="warn-text">observed every 47 minutes</span>' in header  # over 1.5 x declared


def test_open_failed_records_link_to_the_health_page(viewer):
    failing(timezone.now())
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert f'<a class="bad-text" href="/integrations/{KEY}/health/">2 open</a>' in header


def test_last_success_is_shown_with_how_long_ago(viewer):
    now = timezone.now()
    failing(now)
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    last = header[header.index("<dt>Last success</dt>") :]
    assert (now - dt.timedelta(minutes=47)).strftime("%Y-%m-%d %H:%M") in last[: last.index("</dd>")]


def test_a_platform_that_stopped_the_process_is_the_reason_given(viewer):
    integration = monitor()
    record_poll(integration, PollResult(stopped="stopped on Celigo: flow f-1 is disabled"), now=timezone.now())
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert '<p class="state-word" id="health-state">Down</p>' in header
    assert "Stopped on the platform: stopped on Celigo: flow f-1 is disabled" in header


def test_a_poll_error_is_told_apart_from_the_integration_being_down(viewer):
    integration = monitor()
    record_poll_error(integration.pk, "429 Too Many Requests from the vendor")
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert "Plumbline could not ask the platform" in header
    assert "429 Too Many Requests from the vendor" in header
    assert '<p class="state-word" id="health-state">No data yet</p>' not in header  # a row exists: unknown
    assert HealthSource.objects.get(integration=integration).state == "unknown"


def test_an_unmonitored_integration_says_nobody_is_told(viewer):
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert '<p class="state-word" id="health-state">Not monitored</p>' in header
    assert "nobody is told when it stops" in header


def test_review_status_says_how_long_ago_and_when_it_is_next_due(viewer, settings):
    settings.PLUMBLINE_REVIEW_DAYS = 180
    Integration.objects.filter(key=KEY).update(reviewed_at=timezone.localdate() - dt.timedelta(days=12))
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert "reviewed 12 days ago" in header
    assert "next due in 168 days" in header


def test_a_stale_spec_is_called_stale_with_the_rule_s_reason(viewer, settings):
    settings.PLUMBLINE_REVIEW_DAYS = 180
    Integration.objects.filter(key=KEY).update(reviewed_at=timezone.localdate() - dt.timedelta(days=200))
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert '<span class="badge warning">stale</span>' in header
    assert "200 days ago (review policy: every 180 days)" in header


def test_a_major_version_change_after_the_review_makes_it_stale(viewer):
    Integration.objects.filter(key=KEY).update(reviewed_at=timezone.localdate() - dt.timedelta(days=3))
    System.objects.filter(key="netsuite").update(major_version_changed_at=timezone.now() - dt.timedelta(days=1))
    header = answers(viewer.get(f"/integrations/{KEY}/"))
    assert '<span class="badge warning">stale</span>' in header
    assert "NetSuite changed major version" in header


def test_completeness_in_the_header_names_the_missing_parts(viewer):
    header = answers(viewer.get(f"/integrations/{PHASE_TWO}/"))
    assert "33% complete: " in header
    assert "missing field mappings, frequency, error handling, maintenance" in header


def test_open_findings_are_listed_with_their_remedy_and_waiver_state(viewer):
    failing(timezone.now())
    refresh_findings()
    body = text(viewer.get(f"/integrations/{KEY}/"))
    findings = body[body.index('id="findings-heading"') : body.index('id="golives-heading"')]
    stored = StoredFinding.objects.get(subject_key=KEY, code="HEALTH_FAILING")
    title = escape(finding_title("HEALTH_FAILING"))
    assert (
        f'<strong>{title}</strong> <small class="code">HEALTH_FAILING</small><br>{escape(stored.message)}' in findings
    )
    assert escape(stored.remedy) in findings
    assert "not waived" in findings


def test_a_waived_finding_shows_its_waiver(viewer):
    failing(timezone.now())
    refresh_findings()
    admin = client_of("admin@example.com", "admin")
    stored = StoredFinding.objects.get(subject_key=KEY, code="HEALTH_FAILING")
    until = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    admin.post(f"/findings/{stored.pk}/waive/", {"reason": "vendor fix due Friday", "expires_on": until})
    body = text(viewer.get(f"/integrations/{KEY}/"))
    assert f"waived until {until}: vendor fix due Friday" in body
    assert "· 1 waived" in answers(viewer.get(f"/integrations/{KEY}/"))


def test_go_lives_it_is_in_show_readiness_and_its_own_blockers(viewer):
    golive = GoLive.objects.create(key="netsuite-go-live", name="NetSuite go-live", date=dt.date(2027, 1, 4))
    GoLiveIntegration.objects.create(golive=golive, integration=Integration.objects.get(key=KEY))
    body = text(viewer.get(f"/integrations/{KEY}/"))
    section = body[body.index('id="golives-heading"') : body.index('id="downstream-heading"')]
    assert '<a href="/golives/netsuite-go-live/">NetSuite go-live</a>' in section
    assert "2027-01-04" in section
    assert '<ul class="blockers">' in section  # not monitored: the health item blocks
    assert "not signed" in section


def test_what_depends_on_it_links_to_the_blast_radius_on_the_graph(viewer):
    erp = System.objects.get(key="netsuite")
    warehouse = System.objects.create(key="warehouse", name="Warehouse")
    Integration.objects.create(key="netsuite-to-warehouse", name="Ledger to warehouse", source=erp, target=warehouse)
    Integration.objects.filter(key="netsuite-to-warehouse").update(lifecycle="live")
    body = text(viewer.get(f"/integrations/{KEY}/"))
    section = body[body.index('id="downstream-heading"') : body.index('id="spec-heading"')]
    assert "A gap in NetSuite reaches 1 running integration fed from it." in section
    assert '<a href="/integrations/netsuite-to-warehouse/">Ledger to warehouse</a> → Warehouse' in section
    assert 'href="/graph/?blast=netsuite"' in section


def test_the_page_s_queries_do_not_grow_with_findings_go_lives_and_runs(viewer):
    failing(timezone.now())
    refresh_findings()
    integration = Integration.objects.get(key=KEY)
    raised = set(StoredFinding.objects.filter(subject_key=KEY).values_list("code", flat=True))
    codes = iter(code for code in FindingCode.values if code not in raised)

    def add(first: int, last: int) -> None:
        now = timezone.now()
        for n in range(first, last):
            golive = GoLive.objects.create(key=f"wave-{n}", name=f"Wave {n}")
            GoLiveIntegration.objects.create(golive=golive, integration=integration)
            target = System.objects.create(key=f"downstream-{n}")
            Integration.objects.create(key=f"fed-{n}", source=integration.target, target=target, lifecycle="live")
            StoredFinding.objects.create(
                code=next(codes),
                severity="warning",
                subject_type="integration",
                subject_key=KEY,
                message=f"m{n}",
                remedy="r",
                first_seen_at=now,
                last_seen_at=now,
            )
            runs = [
                RunObservation(f"more-{n}-{m}", "success", finished_at=now - dt.timedelta(minutes=m)) for m in range(5)
            ]
            record_poll(integration, PollResult(runs=runs), now=now)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert viewer.get(f"/integrations/{KEY}/").status_code == 200
        return len(queries)

    add(0, 1)
    one_each = count()
    add(1, 7)
    assert count() == one_each
    assert "A gap in NetSuite reaches 7 running integrations" in text(viewer.get(f"/integrations/{KEY}/"))


# --- Mark reviewed --------------------------------------------------------------------------------


def test_the_owner_sees_the_mark_reviewed_button(owner):
    body = owner.get(f"/integrations/{KEY}/").content.decode()
    assert f'action="/integrations/{KEY}/reviewed/"' in body
    assert "csrfmiddlewaretoken" in body


@pytest.mark.parametrize(("email", "role"), [("viewer@example.com", "viewer"), ("olivia@example.com", "owner")])
def test_who_cannot_edit_sees_no_button_and_is_refused(estate, email, role):
    client = client_of(email, role)
    assert f'action="/integrations/{KEY}/reviewed/"' not in client.get(f"/integrations/{KEY}/").content.decode()
    before = Integration.objects.get(key=KEY).reviewed_at
    assert client.post(f"/integrations/{KEY}/reviewed/").status_code == 403
    assert Integration.objects.get(key=KEY).reviewed_at == before
    assert not ChangeRecord.objects.filter(key=KEY, note="confirmed still accurate").exists()


def test_marking_reviewed_sets_today_and_records_who_in_the_history(owner):
    response = owner.post(f"/integrations/{KEY}/reviewed/", follow=True)
    assert response.redirect_chain == [(f"/integrations/{KEY}/", 302)]
    assert Integration.objects.get(key=KEY).reviewed_at == timezone.localdate()
    record = ChangeRecord.objects.filter(key=KEY).latest("at")
    assert (record.actor.email, record.via, record.note) == (
        "ana.lopez@example.com",
        "page",
        "confirmed still accurate",
    )
    assert record.after["reviewed_at"] == timezone.localdate().isoformat()
    body = text(response)
    assert "Confirmed: Chargebee invoices to NetSuite is still accurate (reviewed today)." in body
    assert "reviewed today" in answers(response)


def test_marking_reviewed_clears_the_stale_spec_finding(owner, django_capture_on_commit_callbacks):
    Integration.objects.filter(key=KEY).update(reviewed_at=dt.date(2020, 1, 1))
    refresh_findings()
    assert StoredFinding.objects.filter(subject_key=KEY, code="STALE_SPEC").exists()
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/integrations/{KEY}/reviewed/")
    assert not StoredFinding.objects.filter(subject_key=KEY, code="STALE_SPEC").exists()


def test_marking_reviewed_answers_the_backup_owner_s_digests_like_the_reminder_link(estate):
    user = make_user("sam.ortiz@example.com", "owner")
    person = person_of(user)
    assert person is not None
    now = timezone.now()
    Reminder.objects.create(person=person, period_start=timezone.localdate(), claimed_at=now, sent_at=now)
    sam = Client()
    sam.force_login(user)
    assert sam.post(f"/integrations/{KEY}/reviewed/").status_code == 302  # sam backs it up
    assert Reminder.objects.get(person=person).answered_at is not None


def test_a_second_confirmation_the_same_day_adds_no_history(owner):
    owner.post(f"/integrations/{KEY}/reviewed/")
    response = owner.post(f"/integrations/{KEY}/reviewed/", follow=True)
    assert "was already confirmed today" in text(response)
    assert ChangeRecord.objects.filter(key=KEY, note="confirmed still accurate").count() == 1


def test_a_get_of_the_review_address_changes_nothing(owner):
    assert owner.get(f"/integrations/{KEY}/reviewed/").status_code == 405


def test_the_review_post_needs_a_csrf_token(estate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("admin@example.com", "admin"))
    assert client.post(f"/integrations/{KEY}/reviewed/").status_code == 403
    assert Integration.objects.get(key=KEY).reviewed_at == dt.date(2026, 9, 1)
