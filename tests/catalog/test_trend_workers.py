"""Real Celery workers on the real Redis race the trend's tasks against the test's own database:
eight snapshot tasks at once leave one row for the day, and eight weekly passes send each
subscriber one email.

Run with PLUMBLINE_TEST_SQLITE=/tmp/<name>.db (a file the workers can open) or on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import EstateSnapshot, Integration, Person, StoredFinding, WeeklyEmail, WeeklySubscription
from catalog.tasks import send_weekly_changes_task, snapshot_estate_task
from plumbline.accounts.roles import assign_role
from tests.catalog.test_reminders_workers import messages_in, results, wait_for
from tests.celery_worker import celery_worker, redis_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SUBSCRIBERS = 4


def run(task, count: int) -> list[dict]:
    task_ids = [task.apply_async(ignore_result=False).id for _ in range(count)]
    assert wait_for(lambda: results(task_ids) is not None), "the workers did not finish"
    found = results(task_ids)
    assert found is not None
    return found


def test_racing_workers_leave_one_snapshot_for_the_day_and_send_each_weekly_email_once(tmp_path):
    owner = Person.objects.create(email="ana@example.com")
    Integration.objects.create(key="orders", owner=owner, completeness_score=1.0, completeness_missing="")
    now = timezone.now()
    StoredFinding.objects.create(
        code="HEALTH_DOWN",
        severity="critical",
        subject_type="integration",
        subject_key="orders",
        message="Orders stopped.",
        remedy="r",
        first_seen_at=now,
        last_seen_at=now,
    )
    emails = [f"lead{n}@example.com" for n in range(SUBSCRIBERS)]
    for email in emails:
        user = get_user_model().objects.create_user(email, email, "pw-0123456789")
        assign_role(user, "viewer")
        WeeklySubscription.objects.create(user=user)
    mail = tmp_path / "mail"
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail)}
    with (
        celery_worker("trend-a", concurrency=2, **env),
        celery_worker("trend-b", concurrency=2, **env),
        redis_broker(),
    ):
        snapshots = run(snapshot_estate_task, 8)
        passes = run(send_weekly_changes_task, 8)
    assert {r["taken_on"] for r in snapshots} == {timezone.localdate().isoformat()}
    snapshot = EstateSnapshot.objects.get()
    assert (snapshot.integrations, snapshot.findings_critical, snapshot.complete) == (1, 1, 1)
    assert sum(r["sent"] for r in passes) == SUBSCRIBERS
    assert sum(r["skipped"] for r in passes) == SUBSCRIBERS * 8 - SUBSCRIBERS
    sent = messages_in(mail)
    assert Counter(m["To"] for m in sent) == Counter(dict.fromkeys(emails, 1))
    assert WeeklyEmail.objects.filter(sent_at__isnull=False).count() == SUBSCRIBERS
