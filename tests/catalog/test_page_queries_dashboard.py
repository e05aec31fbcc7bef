"""The dashboard (/) and the phase-two register (/phase-two/) cost the same few queries whatever the
size of the estate (issue 18), and the register, sorted, paginated and totalled in the database,
shows what the per-row rules say."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.choices import HealthState
from catalog.completeness import refresh_completeness
from catalog.models import Integration, Person, StoredFinding, Waiver
from catalog.rules.phase_two import deferred_integrations, deferred_items, register, register_totals
from catalog.rules.store import refresh_findings, with_waivers
from monitoring.health.specs import sync_sources
from monitoring.models import HealthSource
from tests.catalog.test_rules_support import make_estate

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def grow(count: int, prefix: str) -> None:
    """`count` more integrations (a quarter deferred), their health sources in several states,
    completeness and findings."""
    make_estate(count, prefix=prefix)
    sync_sources(now=timezone.now())
    states = [HealthState.UP, HealthState.DOWN, HealthState.LATE, HealthState.FAILING]
    for n, pk in enumerate(HealthSource.objects.filter(integration__key__startswith=f"{prefix}-").values_list("pk")):
        HealthSource.objects.filter(pk=pk[0]).update(state=states[n % len(states)])
    refresh_completeness()
    refresh_findings()


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/", "/phase-two/", "/phase-two/?page=2", "/phase-two/?format=csv"])
def test_query_count_is_the_same_at_two_estate_sizes_and_small(viewer, path):
    grow(5, "a")
    small = queries(viewer, path)
    grow(275, "b")  # 55 deferred and not retired: two pages of the register
    assert HealthSource.objects.exclude(state=HealthState.UP).exists()
    assert StoredFinding.objects.count() > 200 and register_totals(timezone.localdate())["count"] > 50
    assert queries(viewer, path) == small <= MAX_QUERIES


def estate_with_edge_cases(today: dt.date) -> None:
    """Deferrals the sort and the totals must get right: unknown dates or hours, a date in the
    future, ties broken by age then key, a retired one left out."""
    ana = Person.objects.create(email="ana@example.com", name="Ana Lopez")
    rows = [
        ("costly", 100, 20.0, 40.0),
        ("cheap", 400, 1.0, 40.0),
        ("tie-b", 60, 3.0, None),
        ("tie-a", 60, 3.0, 5.0),
        ("tie-older", 120, 1.5, None),
        ("future", -10, 50.0, 1.0),
        ("no-hours", 500, None, 1.0),
        ("no-date", None, 9.0, 1.0),
        ("nothing", None, None, None),
    ]
    for key, days, hours, build in rows:
        Integration.objects.create(
            key=key,
            lifecycle="planned",
            phase="phase-two",
            deferred_since=None if days is None else today - dt.timedelta(days=days),
            workaround_performed_by=ana,
            workaround_hours_per_month=hours,
            build_estimate_hours=build,
        )
    Integration.objects.create(key="gone", lifecycle="retired", phase="phase-two", workaround_hours_per_month=99)
    Integration.objects.create(key="done", lifecycle="live", phase="go-live")


def test_register_sorts_and_totals_in_the_database_as_the_rules_do():
    today = timezone.localdate()
    estate_with_edge_cases(today)
    by_rules = deferred_items(list(deferred_integrations()), today)
    assert [i.key for i in register(today)] == [item.integration.key for item in by_rules]
    totals = register_totals(today)
    assert totals["count"] == len(by_rules) == 9
    assert totals["hours_to_date"] == pytest.approx(sum(item.hours_to_date or 0 for item in by_rules))
    assert totals["hours_per_month"] == pytest.approx(
        sum(item.integration.workaround_hours_per_month or 0 for item in by_rules)
    )
    assert totals["over_build"] == sum(item.exceeds_build for item in by_rules) == 2  # costly, tie-a


def test_register_is_paginated_with_totals_over_every_row(viewer):
    make_estate(240, prefix="b")
    today = timezone.localdate()
    every = [i.key for i in register(today)]
    assert len(every) == 48  # a quarter deferred, a fifth of those retired
    Integration.objects.bulk_create(
        Integration(key=f"more-{n:02d}", lifecycle="planned", phase="phase-two") for n in range(12)
    )
    every = [i.key for i in register(today)]
    first, second = viewer.get("/phase-two/"), viewer.get("/phase-two/?page=2")
    assert [item.integration.key for item in first.context["items"]] == every[:50]
    assert [item.integration.key for item in second.context["items"]] == every[50:] and len(every) == 60
    body = first.content.decode()
    assert re.search(r'<div class="figure">60</div><div class="label">deferred integrations', body)
    assert "Page 1 of 2" in body and "Export all 60 as CSV" in body
    expected_hours = sum(item.hours_to_date or 0 for item in deferred_items(list(deferred_integrations()), today))
    assert first.context["total_hours"] == pytest.approx(expected_hours)
    assert first.context["monthly_hours"] == pytest.approx(48 * 6)
    rows = list(csv.DictReader(io.StringIO(viewer.get("/phase-two/?format=csv").content.decode())))
    assert [row["integration"] for row in rows] == every


def test_register_rejects_a_bad_page_number(viewer):
    response = viewer.get("/phase-two/?page=first")
    assert response.status_code == 400 and "page=&#x27;first&#x27;" in response.content.decode()


def test_dashboard_counts_only_findings_no_waiver_in_force_covers(viewer):
    grow(20, "a")
    today = timezone.localdate()
    # A subject with several findings, one of them waived: the others still count.
    subject = (
        StoredFinding.objects.values("subject_key").annotate(n=Count("id")).filter(n__gt=1).order_by("subject_key")[0]
    )
    waived = StoredFinding.objects.filter(subject_key=subject["subject_key"]).order_by("id")[0]
    other = StoredFinding.objects.exclude(subject_key=waived.subject_key).order_by("id").first()
    assert other is not None
    Waiver.objects.create(
        code=waived.code,
        subject_type=waived.subject_type,
        subject_key=waived.subject_key,
        reason="accepted",
        expires_on=today + dt.timedelta(days=1),
    )
    Waiver.objects.create(  # expired: the finding counts again
        code=other.code,
        subject_type=other.subject_type,
        subject_key=other.subject_key,
        reason="was accepted",
        expires_on=today,
    )
    expected = with_waivers(StoredFinding.objects.all(), today).filter(waived=False)
    assert expected.count() == StoredFinding.objects.count() - 1
    context = viewer.get("/").context
    assert context["finding_count"] == expected.count()
    by_severity = {bar.css: bar.value for bar in context["by_severity"]}
    assert by_severity == {s: expected.filter(severity=s).count() for s in by_severity}
    owners = (
        expected.exclude(owner=None)
        .values("owner__email")
        .annotate(n=Count("id"))
        .order_by("-n", "owner__email")
        .values_list("owner__email", "n")[:5]
    )
    assert [(row["owner__email"], row["n"]) for row in context["top_owners"]] == list(owners)
