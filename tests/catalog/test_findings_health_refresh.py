"""A burst of health flips schedules one delayed findings refresh, not one per flip: counted
as messages the real (filesystem) broker of the test settings receives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from catalog.signals import health_changed


def messages(task: str) -> list[Path]:
    folder = Path(settings.CELERY_BROKER_FOLDER)
    found = []
    for path in folder.glob("*.msg"):
        if task == json.loads(path.read_text()).get("headers", {}).get("task", ""):
            found.append(path)
    return found


def refresh_messages() -> list[Path]:
    return messages("catalog.tasks.refresh_findings")


@pytest.fixture
def broker():
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.fail("these tests read the embedded filesystem broker; run them without REDIS_URL")
    for path in [*refresh_messages(), *messages("monitoring.apply_pings")]:
        path.unlink()
    yield
    for path in [*refresh_messages(), *messages("monitoring.apply_pings")]:
        path.unlink()


def test_a_burst_of_flips_schedules_one_refresh(broker):
    for n in range(5):
        health_changed.send(sender=None, integration_ids=[n])
    assert len(refresh_messages()) == 1


def test_after_the_delay_a_new_flip_schedules_again(broker):
    health_changed.send(sender=None, integration_ids=[1])
    cache.delete("findings:refresh-pending")  # the delay has passed
    health_changed.send(sender=None, integration_ids=[2])
    assert len(refresh_messages()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_committed_flip_schedules_a_findings_refresh(broker, client, monkeypatch):
    from catalog.models import Integration
    from catalog.spec.importer import import_sources
    from monitoring.ingest import heartbeats
    from monitoring.ingest.pending import apply_pending_pings

    import_sources(
        [
            (
                "hb.yaml",
                "apiVersion: plumbline/v1\nkind: Integration\nkey: payroll\n"
                "sync: {trigger: schedule, interval_minutes: 15}\nhealth: {kind: heartbeat}\n",
            )
        ]
    )
    cache.clear()
    uuid = Integration.objects.get(key="payroll").ping_uuid
    monkeypatch.setattr(heartbeats, "_next_apply_at", 0.0)  # no earlier ping in this process queued one
    assert client.post(f"/ping/{uuid}", b"", content_type="text/plain").status_code == 200
    assert len(messages("monitoring.apply_pings")) == 1  # the ping has a worker apply it...
    assert refresh_messages() == []
    apply_pending_pings()  # ...as the worker does here
    assert len(refresh_messages()) == 1  # unknown -> up
    assert client.post(f"/ping/{uuid}", b"", content_type="text/plain").status_code == 200
    assert len(messages("monitoring.apply_pings")) == 1  # a second ping within the delay queues no other
