"""Two real Celery workers on the real Redis race through reminder passes against the test's own
database: each owner still gets exactly one digest this period, and later passes send nothing.

Run with PLUMBLINE_TEST_SQLITE=/tmp/<name>.db (a file the workers can open) or on PostgreSQL.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from email import message_from_string
from email.message import Message
from pathlib import Path

import pytest
import redis

from catalog.models import Person, Reminder
from catalog.tasks import send_reminders_task
from tests.catalog.test_readiness_support import ready_integration
from tests.celery_worker import REDIS_URL, celery_worker, redis_broker
from tests.celery_worker import wait_for as wait_for_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(predicate: Callable[[], bool], timeout: float = 90.0) -> bool:
    return wait_for_worker(predicate, timeout)


OWNERS = 8
SEPARATOR = "-" * 79


def results(task_ids: list[str]) -> list[dict] | None:
    """Every task's result as the workers stored it in Redis, or None while any is unfinished."""
    store = redis.Redis.from_url(REDIS_URL)
    metas = [store.get(f"celery-task-meta-{task_id}") for task_id in task_ids]
    if any(meta is None for meta in metas):
        return None
    decoded = [json.loads(meta) for meta in metas if meta is not None]
    assert all(meta["status"] == "SUCCESS" for meta in decoded), decoded
    return [meta["result"] for meta in decoded]


def run_passes(count: int) -> list[dict]:
    # This process has no result backend; ask the workers (which do) to keep each result.
    task_ids = [send_reminders_task.apply_async(ignore_result=False).id for _ in range(count)]
    assert wait_for(lambda: results(task_ids) is not None), "the workers did not finish the passes"
    found = results(task_ids)
    assert found is not None
    return found


def passes_by_worker() -> dict[str, int]:
    from plumbline.celery import app

    stats = app.control.inspect(timeout=2.0).stats() or {}
    return {name.split("@")[0]: s["total"].get(send_reminders_task.name, 0) for name, s in stats.items()}


def messages_in(folder: Path) -> list[Message]:
    """The messages the file backend wrote: one file per connection, messages separated by a rule."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_text().split(SEPARATOR):
            if chunk.strip():
                found.append(message_from_string(chunk.strip()))
    return found


def test_two_workers_racing_send_one_digest_per_owner_per_period(tmp_path):
    emails = [f"owner{n}@example.com" for n in range(OWNERS)]
    for n, email in enumerate(emails):
        ready_integration(f"spec-{n}", owner=Person.objects.create(email=email, name=f"Owner {n}"), reviewed_at=None)
    mail = tmp_path / "mail"
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail)}
    with (
        celery_worker("remind-a", concurrency=2, **env),
        celery_worker("remind-b", concurrency=2, **env),
        redis_broker(),
    ):
        first = run_passes(8)
        sent_first = messages_in(mail)
        again = run_passes(4)
        ran = passes_by_worker()
    # Both workers took part in the race.
    assert set(ran) == {"remind-a", "remind-b"} and all(ran.values()), ran
    # Eight passes over four worker processes: each digest was claimed and sent by exactly one.
    assert sum(r["sent"] for r in first) == OWNERS
    assert sum(r["skipped"] for r in first) == OWNERS * 8 - OWNERS
    assert all(r["failed"] == 0 for r in first)
    assert Counter(m["To"] for m in sent_first) == Counter(dict.fromkeys(emails, 1))
    # Passes later in the same period send nothing.
    assert sum(r["sent"] for r in again) == 0
    assert len(messages_in(mail)) == OWNERS
    assert Reminder.objects.filter(sent_at__isnull=False).count() == OWNERS
    assert all(m["Subject"] == "Plumbline: 1 stale spec to review on your integrations" for m in sent_first)
