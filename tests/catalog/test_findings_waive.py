"""Waiving a finding from the findings page: who may, what it needs, what it changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from catalog.models import StoredFinding, Waiver
from catalog.rules.store import refresh_findings
from plumbline.accounts.roles import assign_role
from tests.conftest import EXAMPLE_ESTATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding():
    call_command("import_specs", str(EXAMPLE_ESTATE), verbosity=0)
    refresh_findings()
    return StoredFinding.objects.get(code="SILENT_FAILURES", subject_key="chargebee-invoices-to-netsuite")


def login(client, email: str, role: str):
    user = get_user_model().objects.create_user(email, email, "pw-0123456789")
    assign_role(user, role)
    client.force_login(user)
    return user


def in_days(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_owner_of_the_subject_waives_with_reason_and_expiry(client, finding):
    login(client, "sam.ortiz@example.com", "owner")  # owns chargebee-invoices-to-netsuite
    client.post(f"/findings/{finding.pk}/waive/", {"reason": "Replaced in Q1", "expires_on": in_days(30)})
    waiver = Waiver.objects.get()
    assert (waiver.code, waiver.subject_key, waiver.reason) == (
        "SILENT_FAILURES",
        finding.subject_key,
        "Replaced in Q1",
    )
    page = client.get("/findings/?waived=yes").content.decode()
    assert "Waived: Replaced in Q1" in page


def test_owner_of_something_else_may_not_waive(client, finding):
    login(client, "ana.lopez@example.com", "owner")
    response = client.post(f"/findings/{finding.pk}/waive/", {"reason": "x", "expires_on": in_days(30)})
    assert response.status_code == 403
    assert Waiver.objects.count() == 0


def test_viewer_may_not_waive(client, finding):
    login(client, "viewer@example.com", "viewer")
    assert client.post(f"/findings/{finding.pk}/waive/", {"reason": "x", "expires_on": in_days(3)}).status_code == 403
    assert Waiver.objects.count() == 0


@pytest.mark.parametrize(("reason", "days"), [("", 30), ("ok", 0), ("ok", 400)])
def test_waiver_needs_a_reason_and_an_expiry_within_a_year(client, finding, reason, days):
    login(client, "admin@example.com", "admin")
    client.post(f"/findings/{finding.pk}/waive/", {"reason": reason, "expires_on": in_days(days)})
    assert Waiver.objects.count() == 0
