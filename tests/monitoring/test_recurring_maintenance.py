"""Recurring maintenance windows hold alerts: a flip inside an occurrence is recorded and marked, the
next flip outside it alerts, and the window recurs, whether planned in the app or listed in the spec."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from catalog.spec.importer import import_sources
from monitoring import conf
from monitoring.alerting.escalation import escalate_due
from monitoring.alerting.maintenance import in_maintenance, windows_of
from monitoring.alerting.release import release_held
from monitoring.models import Alert, Flip, MaintenanceWindow
from tests.monitoring.conftest import T0, make_integration, make_system, minutes
from tests.monitoring.test_alerts import fail, succeed

pytestmark = pytest.mark.django_db

# T0 is Friday 2026-05-01 12:00 UTC, 14:00 in Berlin (summer time): every Friday 14:00-15:00 there
# is 12:00-13:00 UTC.
WEEK = dt.timedelta(days=7)


def plan_in_app() -> None:
    MaintenanceWindow.objects.create(
        system=make_system("erp"),
        starts_at=T0 - WEEK,  # the first occurrence: Friday 2026-04-24 14:00 Berlin
        ends_at=None,
        rrule="FREQ=WEEKLY;BYDAY=FR",
        timezone="Europe/Berlin",
        duration_minutes=60,
        reason="ERP weekly patching",
    )


def plan_in_spec() -> None:
    make_system("erp")
    import_sources(
        [
            (
                "systems.yaml",
                "apiVersion: plumbline/v1\nkind: System\nkey: erp\nname: Erp\nmaintenance:\n"
                "- rrule: FREQ=WEEKLY;BYDAY=FR\n  start: '14:00'\n  duration_minutes: 60\n"
                "  timezone: Europe/Berlin\n  reason: ERP weekly patching\n",
            )
        ]
    )


PLANS = pytest.mark.parametrize("plan", [plan_in_app, plan_in_spec], ids=["planned in the app", "listed in the spec"])


@PLANS
def test_a_flip_inside_an_occurrence_is_recorded_marked_and_alerts_nobody(plan):
    plan()
    integration = make_integration()
    fail(integration, T0 + minutes(10))
    flip = Flip.objects.get(to_state="failing")
    assert flip.alerts_planned_at is not None
    assert flip.suppressed_reason == "maintenance window of Erp: ERP weekly patching"
    assert not Alert.objects.exists()


@PLANS
def test_the_next_flip_after_the_occurrence_alerts(plan):
    plan()
    integration = make_integration()
    fail(integration, T0 + minutes(59))  # 14:59 Berlin: inside
    succeed(integration, T0 + minutes(60))  # 15:00 Berlin: the occurrence is over
    recovered = Flip.objects.get(to_state="up", from_state="failing")
    assert recovered.suppressed_reason == ""
    assert list(Alert.objects.values_list("subject", flat=True)) == ["[Plumbline] Invoices recovered (UP)"]


@PLANS
def test_the_window_recurs_next_friday_and_holds_nothing_on_thursday(plan):
    plan()
    integration = make_integration()
    fail(integration, T0 + WEEK + minutes(30))
    assert not Alert.objects.exists()
    succeed(integration, T0 + WEEK + minutes(61))
    fail(integration, T0 + WEEK + dt.timedelta(days=6) + minutes(30))  # Thursday 14:30 Berlin
    assert Flip.objects.filter(suppressed_reason="").count() == 2  # the recovery and Thursday's failure
    assert Alert.objects.count() == 2


def test_a_window_of_the_other_system_holds_nothing():
    MaintenanceWindow.objects.create(
        system=make_system("crm"),
        starts_at=T0 - WEEK,
        rrule="FREQ=DAILY",
        timezone="UTC",
        duration_minutes=120,
    )
    fail(make_integration(), T0 + minutes(10))  # billing -> erp, not crm
    assert Alert.objects.count() == 1


def test_a_cancelled_recurring_window_holds_nothing():
    plan_in_app()
    MaintenanceWindow.objects.all().delete()
    fail(make_integration(), T0 + minutes(10))
    assert Alert.objects.count() == 1


def test_the_windows_of_every_system_involved_are_read_in_one_query(django_assert_num_queries):
    systems = [make_system(f"system-{n}") for n in range(5)]
    for system in systems:
        for day in range(3):
            MaintenanceWindow.objects.create(
                system=system,
                starts_at=T0 - WEEK + dt.timedelta(days=day),
                rrule="FREQ=WEEKLY",
                timezone="Europe/Berlin",
                duration_minutes=60,
            )
    with django_assert_num_queries(1):
        windows = windows_of(systems, T0, T0 + WEEK)
    held = [in_maintenance(windows, [s.pk], T0 + dt.timedelta(days=1, minutes=30)) for s in systems]
    assert all(h is not None and h.until == T0 + dt.timedelta(days=1, minutes=60) for h in held)


def test_an_outage_held_by_the_window_and_outlasting_it_alerts_once_when_the_window_is_over():
    plan_in_app()
    integration = make_integration()
    fail(integration, T0 + minutes(10))
    assert release_held(T0 + minutes(59)) == 0  # still inside
    assert release_held(T0 + minutes(60)) == 1
    assert release_held(T0 + minutes(61)) == 0  # once
    alert = Alert.objects.get()
    assert alert.subject == "[Plumbline] Invoices is FAILING"
    assert Flip.objects.get(to_state="failing").suppressed_reason == (
        "maintenance window of Erp: ERP weekly patching (alerted once the window was over)"
    )


def test_an_outage_that_ended_inside_the_window_is_never_released():
    plan_in_app()
    integration = make_integration()
    fail(integration, T0 + minutes(10))
    succeed(integration, T0 + minutes(20))
    assert release_held(T0 + minutes(90)) == 0
    assert not Alert.objects.exists()


def test_a_window_saved_in_the_admin_is_checked_like_one_planned_on_the_page():
    window = MaintenanceWindow(
        system=make_system("erp"), starts_at=T0, rrule="FREQ=MINUTELY", timezone="UTC", duration_minutes=5
    )
    with pytest.raises(ValidationError) as refused:
        window.full_clean()
    assert "FREQ=MINUTELY is not allowed" in str(refused.value.message_dict["rrule"])
    window.rrule = "FREQ=DAILY;COUNT=2"
    window.full_clean()
    assert window.ends_at == T0 + dt.timedelta(days=1, minutes=5)


def test_an_outage_alerted_once_the_window_was_over_escalates_like_any_other():
    plan_in_app()
    integration = make_integration()
    fail(integration, T0 + minutes(10))
    release_held(T0 + minutes(60))
    Alert.objects.update(sent_at=T0 + minutes(60))
    escalate_due(T0 + minutes(60) + dt.timedelta(minutes=conf.escalate_after_minutes() + 1))
    assert Flip.objects.get(to_state="failing").escalation_level > 0  # escalated, though its reason says it was held
