"""Pings and the applier side by side: a ping is answered while the applier holds its batch (it
counts on its own row, never on the state rows the applier locks), the applier works in short
transactions of a few rounds, and whatever was accepted is stored exactly once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client

from monitoring.health import pipeline
from monitoring.ingest import pending
from monitoring.ingest.pending import apply_pending_pings
from monitoring.models import Flip, HealthSource, PendingPing, PingCounter, Run
from tests.monitoring.conftest import make_integration

# Long enough for any loaded machine; only reached when something that must not block does.
STUCK = 60


def ping(path: str, body: object = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    return Client().post(path, data=data, content_type="application/json")


class PausedApplier:
    """apply_pending_pings in a thread of its own (its own connection), stopped inside its batch
    transaction right after storing the batch: the advisory lock taken, the state rows locked FOR
    UPDATE, the runs written, nothing committed. `release()` lets it commit."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.holding = threading.Event()
        self.released = threading.Event()
        self.applied: int | None = None
        self.error: BaseException | None = None
        real_apply = pending._apply  # stores a batch, plain pings in bulk and the others through record()

        def apply_then_hold(*args: Any, **kwargs: Any) -> Any:
            outcome = real_apply(*args, **kwargs)
            self.holding.set()
            if not self.released.wait(STUCK):
                raise RuntimeError("never released")
            return outcome

        monkeypatch.setattr(pending, "_apply", apply_then_hold)
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            self.applied = apply_pending_pings()
        except BaseException as exc:  # reported by finish()
            self.error = exc
        finally:
            connection.close()

    def __enter__(self) -> PausedApplier:
        self.thread.start()
        assert self.holding.wait(STUCK), "the applier never reached its batch"
        return self

    def release(self) -> int:
        self.released.set()
        self.thread.join(STUCK)
        assert not self.thread.is_alive()
        if self.error:
            raise self.error
        assert self.applied is not None
        return self.applied

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.thread.join(STUCK)


@pytest.fixture
def no_lock_waits() -> Iterator[None]:
    """A statement of this connection that waits for a lock fails at once instead (PostgreSQL's
    lock_timeout), so a ping that would wait for the applier is an error, not a slow answer."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '1ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def state_row_is_locked(integration: Any) -> bool:
    """Whether another transaction holds the integration's state row FOR UPDATE."""
    try:
        with transaction.atomic():
            list(HealthSource.objects.select_for_update(nowait=True).filter(integration=integration))
    except OperationalError:
        return True
    return False


def applier_lock_is_held() -> bool:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [pending._APPLY_LOCK])
        return not cursor.fetchone()[0]


postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks are PostgreSQL's")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_ping_is_answered_while_the_applier_holds_its_sources_batch(monkeypatch, settings, no_lock_waits):
    settings.PLUMBLINE_PING_RATE_PER_MINUTE = 6
    integration = make_integration()
    url = f"/ping/{integration.ping_uuid}"
    for n in range(3):
        assert ping(url, {"run_id": f"before-{n}"}).status_code == 200
    PingCounter.objects.all().delete()  # so a ping made during the batch also makes its counter

    with PausedApplier(monkeypatch) as applier:
        assert state_row_is_locked(integration) and applier_lock_is_held()
        answers = [ping(url, {"run_id": f"during-{n}"}) for n in range(6)]
        refused = ping(url, {"run_id": "over-the-limit"})
        assert state_row_is_locked(integration)  # answered while the batch was still held
        assert [answer.status_code for answer in answers] == [200] * 6
        assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
        assert applier.release() == 3  # only what was pending when it began

    assert apply_pending_pings() == 6
    stored = sorted(Run.objects.filter(integration=integration).values_list("external_id", flat=True))
    assert stored == sorted([f"before-{n}" for n in range(3)] + [f"during-{n}" for n in range(6)])
    assert not PendingPing.objects.exists()
    counter = PingCounter.objects.get(source__integration=integration)
    assert counter.ping_window_count == 6  # the refused one was not counted


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_pings_of_other_sources_and_new_sources_are_answered_during_a_batch(monkeypatch, no_lock_waits):
    busy, quiet = make_integration("busy"), make_integration("quiet")
    assert ping(f"/ping/{busy.ping_uuid}/start").status_code == 200
    with PausedApplier(monkeypatch) as applier:
        assert ping(f"/ping/{busy.ping_uuid}").status_code == 200  # closes the run being opened
        assert ping(f"/ping/{quiet.ping_uuid}/fail").status_code == 200
        late = make_integration("late")  # its state row made now, its counter by its first ping
        assert ping(f"/ping/{late.ping_uuid}").status_code == 200
        assert applier.release() == 1
    assert apply_pending_pings() == 3
    busy_run = Run.objects.get(integration=busy)
    assert (busy_run.status, busy_run.started_at is not None) == ("success", True)
    assert list(Run.objects.filter(integration__in=[quiet, late]).values_list("status", flat=True).order_by("id")) == [
        "failed",
        "success",
    ]


@pytest.mark.django_db
def test_a_busy_source_is_applied_a_few_rounds_per_transaction_in_order(monkeypatch):
    integration = make_integration()
    url = f"/ping/{integration.ping_uuid}"
    signals = ["/fail", ""] * 10
    for n, signal in enumerate(signals):
        assert ping(url + signal, {"run_id": f"r-{n}"}).status_code == 200
    batches: list[int] = []
    real_batch = pending._apply_batch

    def counted(*args: Any) -> tuple[int, bool]:
        taken, done = real_batch(*args)
        batches.append(taken)
        return taken, done

    monkeypatch.setattr(pending, "_apply_batch", counted)
    assert apply_pending_pings(rounds=8) == 20
    assert batches == [8, 8, 4]
    flips = list(Flip.objects.filter(integration=integration).order_by("id").values_list("to_state", flat=True))
    assert flips == ["failing", "up"] * 10


@pytest.mark.django_db
def test_pings_accepted_while_applying_wait_for_the_next_pass(monkeypatch):
    integration = make_integration()
    url = f"/ping/{integration.ping_uuid}"
    for n in range(3):
        assert ping(url, {"run_id": f"r-{n}"}).status_code == 200
    real_batch = pending._apply_batch

    def then_a_ping(*args: Any) -> tuple[int, bool]:
        outcome = real_batch(*args)
        assert ping(url, {"run_id": "meanwhile"}).status_code == 200
        return outcome

    monkeypatch.setattr(pending, "_apply_batch", then_a_ping)
    assert apply_pending_pings(rounds=1) == 3  # three transactions, a ping after each
    assert PendingPing.objects.count() == 3
    monkeypatch.undo()
    assert apply_pending_pings() == 3
    assert Run.objects.count() == 4  # "meanwhile" three times is one run


@pytest.mark.django_db
def test_a_worker_lost_after_some_transactions_stores_each_ping_once(monkeypatch):
    integration = make_integration()
    url = f"/ping/{integration.ping_uuid}"
    for n in range(5):
        assert ping(url + ("/fail" if n % 2 else ""), {"run_id": f"r-{n}"}).status_code == 200
    real_settle = pipeline.settle_rows
    calls = 0

    def lost_on_the_third(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("worker lost")
        return real_settle(*args, **kwargs)

    monkeypatch.setattr(pipeline, "settle_rows", lost_on_the_third)
    with pytest.raises(RuntimeError):
        apply_pending_pings(rounds=2)  # the first transaction (two rounds) stored, the second rolled back
    assert (Run.objects.count(), PendingPing.objects.count()) == (2, 3)
    monkeypatch.undo()
    assert apply_pending_pings(rounds=2) == 3
    assert list(Run.objects.order_by("id").values_list("external_id", "status")) == [
        (f"r-{n}", "failed" if n % 2 else "success") for n in range(5)
    ]
    assert not PendingPing.objects.exists()
