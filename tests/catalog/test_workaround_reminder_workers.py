"""Two real Celery workers on the real Redis race through workaround-reminder passes against the
test's own database: each run due today is reminded of exactly once, and later passes send nothing.

Run with PLUMBLINE_TEST_SQLITE=/tmp/<name>.db (a file the workers can open) or on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter

import pytest

from catalog.models import Person, WorkaroundRun
from catalog.tasks import send_workaround_reminders_task
from tests.catalog.test_reminders_workers import messages_in, results, wait_for
from tests.catalog.workaround_support import deferred_integration
from tests.celery_worker import celery_worker, redis_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKAROUNDS = 6


def run_passes(count: int) -> list[dict]:
    task_ids = [send_workaround_reminders_task.apply_async(ignore_result=False).id for _ in range(count)]
    assert wait_for(lambda: results(task_ids) is not None), "the workers did not finish the passes"
    found = results(task_ids)
    assert found is not None
    return found


def test_two_workers_racing_remind_each_performer_once_per_run(tmp_path):
    performers = [f"clerk{n}@example.com" for n in range(WORKAROUNDS)]
    for n, email in enumerate(performers):
        person = Person.objects.create(email=email, name=f"Clerk {n}")
        # Due every day at midnight UTC: today's run is always due by now.
        deferred_integration(key=f"workaround-{n}", every="0 0 * * *", workaround_performed_by=person)
    mail = tmp_path / "mail"
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail)}
    with (
        celery_worker("wa-a", concurrency=2, **env),
        celery_worker("wa-b", concurrency=2, **env),
        redis_broker(),
    ):
        first = run_passes(6)
        sent_first = messages_in(mail)
        again = run_passes(3)
    assert sum(r["sent"] for r in first) == WORKAROUNDS
    assert sum(r["skipped"] for r in first) == WORKAROUNDS * 6 - WORKAROUNDS
    assert all(r["failed"] == 0 for r in first)
    assert Counter(m["To"] for m in sent_first) == Counter(dict.fromkeys(performers, 1))
    assert sum(r["sent"] for r in again) == 0
    assert len(messages_in(mail)) == WORKAROUNDS
    assert WorkaroundRun.objects.filter(reminder_sent_at__isnull=False).count() == WORKAROUNDS
