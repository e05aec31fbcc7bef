"""GOLIVE_REVIEW_DUE: raised from day 90 after a signed-off go-live's date (not day 89), warning,
critical from 30 days past due; none once the review is signed, none for a go-live never signed off."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import ReviewSignOff, SignOff, StoredFinding
from catalog.rules import evaluate_estate
from catalog.rules.golive import GoLiveReviewFacts, golive_review_due
from catalog.rules.store import refresh_findings
from tests.catalog.test_golive_review_support import KEY, at_noon, signed_golive
from tests.catalog.test_readiness_support import APPROVER
from tests.catalog.test_rules_support import silence_monitoring

TODAY = dt.date(2027, 4, 1)


def facts(days_ago: int, *, signed: bool = True, reviewed: bool = False, date: bool = True) -> GoLiveReviewFacts:
    day = TODAY - dt.timedelta(days=days_ago)
    signed_at = at_noon(day) if signed else None
    return GoLiveReviewFacts(
        key=KEY,
        name="NetSuite go-live",
        date=day if date else None,
        approver_email=APPROVER,
        signed_off_at=signed_at,
        reviewed_at=at_noon(day + dt.timedelta(days=91)) if reviewed else None,
    )


def test_review_is_not_due_on_day_89():
    assert golive_review_due(facts(89), TODAY, 90) is None


def test_review_is_due_on_day_90_as_a_warning_about_the_golive():
    finding = golive_review_due(facts(90), TODAY, 90)
    assert finding is not None
    assert (finding.code, finding.severity, finding.subject_type, finding.subject_key) == (
        "GOLIVE_REVIEW_DUE",
        "warning",
        "golive",
        KEY,
    )
    assert finding.owner == APPROVER
    assert "90-day review fell due today" in finding.message


def test_review_29_days_overdue_is_still_a_warning():
    finding = golive_review_due(facts(119), TODAY, 90)
    assert finding is not None and finding.severity == "warning"
    assert "29 days ago" in finding.message


def test_review_30_days_overdue_is_critical():
    finding = golive_review_due(facts(120), TODAY, 90)
    assert finding is not None and finding.severity == "critical"


def test_signed_review_raises_nothing():
    assert golive_review_due(facts(200, reviewed=True), TODAY, 90) is None


def test_golive_never_signed_off_raises_nothing():
    assert golive_review_due(facts(200, signed=False), TODAY, 90) is None


def test_golive_without_a_date_raises_nothing():
    assert golive_review_due(facts(200, date=False), TODAY, 90) is None


def test_review_signed_before_a_later_sign_off_does_not_count():
    later = facts(200)
    assert later.signed_off_at is not None
    reopened = dataclasses.replace(later, reviewed_at=later.signed_off_at - dt.timedelta(days=1))
    assert golive_review_due(reopened, TODAY, 90) is not None


def test_review_days_come_from_the_argument():
    assert golive_review_due(facts(60), TODAY, 60) is not None
    assert golive_review_due(facts(60), TODAY, 61) is None


# Through the engine and the store


@pytest.fixture
def quiet(monkeypatch):
    silence_monitoring(monkeypatch)


def review_findings() -> list:
    return [f for f in evaluate_estate() if f.code == "GOLIVE_REVIEW_DUE"]


@pytest.mark.django_db
def test_engine_raises_nothing_on_day_89(quiet):
    signed_golive(89)
    assert review_findings() == []


@pytest.mark.django_db
def test_engine_raises_the_finding_on_day_90(quiet):
    signed_golive(90)
    [finding] = review_findings()
    assert finding.subject_key == KEY and finding.severity == "warning"


@pytest.mark.django_db
def test_engine_follows_the_review_days_setting(quiet, settings):
    signed_golive(30)
    assert review_findings() == []
    settings.PLUMBLINE_GOLIVE_REVIEW_DAYS = 30
    assert len(review_findings()) == 1


@pytest.mark.django_db
def test_engine_raises_nothing_once_the_review_is_signed(quiet):
    golive = signed_golive(150)
    ReviewSignOff.objects.create(golive=golive, signed_by_email=APPROVER, signed_at=timezone.now())
    assert review_findings() == []


@pytest.mark.django_db
def test_engine_raises_nothing_for_an_unsigned_golive(quiet):
    signed_golive(150, signed=False)
    assert review_findings() == []


@pytest.mark.django_db
def test_a_new_sign_off_after_the_review_opens_a_new_review(quiet):
    golive = signed_golive(150)
    ReviewSignOff.objects.create(golive=golive, signed_by_email=APPROVER, signed_at=timezone.now())
    later = timezone.now() + dt.timedelta(seconds=1)
    SignOff.objects.create(golive=golive, signed_by_email=APPROVER, signed_at=later, readiness_percent=100)
    assert len(review_findings()) == 1


@pytest.mark.django_db
def test_stored_finding_is_owned_by_the_approver_and_resolves_when_signed(quiet):
    golive = signed_golive(95)
    refresh_findings()
    stored = StoredFinding.objects.get(code="GOLIVE_REVIEW_DUE")
    assert (stored.subject_type, stored.subject_key, stored.owner.email) == ("golive", KEY, APPROVER)
    ReviewSignOff.objects.create(golive=golive, signed_by_email=APPROVER, signed_at=timezone.now())
    refresh_findings()
    assert not StoredFinding.objects.filter(code="GOLIVE_REVIEW_DUE").exists()


@pytest.mark.django_db
def test_findings_command_prints_the_golive_subject_in_json(quiet):
    signed_golive(125)
    out = io.StringIO()
    call_command("findings", "--format", "json", stdout=out, stderr=io.StringIO())
    [finding] = [f for f in json.loads(out.getvalue()) if f["code"] == "GOLIVE_REVIEW_DUE"]
    assert finding["subject_type"] == "golive" and finding["subject_key"] == KEY
    assert finding["severity"] == "critical"
