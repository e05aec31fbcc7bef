"""One throttle per platform account: the vendor's documented rate, kept by every worker together."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from catalog.models import PlatformAccount
from monitoring.ingest.polling import poll_source
from monitoring.models import HealthSource
from monitoring.platforms import LIMITS, outbound, throttle
from monitoring.platforms.throttle import Limit, slot_after
from monitoring.platforms.workato import LIMITS as WORKATO_LIMITS
from tests.monitoring.conftest import make_integration, source_of
from tests.monitoring.standins import BoomiStandIn
from tests.monitoring.throttle_worker import take_slots

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
ACCOUNT = "acme-AB12CD"
ENV = "PLUMBLINE_CRED_TEST_BOOMI_THROTTLE"


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The largest number of times in any half-open window of `seconds`."""
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + seconds) for i, start in enumerate(times)), default=0)


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    requests=st.integers(1, 12),
    seconds=st.floats(0.1, 60),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=60),
)
def test_slots_never_put_more_calls_in_a_window_than_the_limit(requests, seconds, gaps):
    now, log, taken = 1000.0, [], []
    for gap in gaps:
        now += gap
        log = [t for t in log if t > now - seconds]
        slot = slot_after(log, now, requests, seconds)
        assert slot >= now
        log.append(slot)
        taken.append(slot)
    assert most_in_any_window(taken, seconds) <= requests


@pytest.fixture(params=["file", "redis"])
def store(request, tmp_path):
    if request.param == "file":
        return throttle._FileStore(tmp_path / "throttle")
    return throttle._RedisStore(REDIS_URL)


def test_a_store_gives_the_limit_at_once_then_waits_and_takes_nothing_it_cannot_give(store):
    key = f"test-{time.time_ns()}"
    assert [store.take(key, 3, 10.0, max_wait=30) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = store.take(key, 3, 10.0, max_wait=30)
    assert 9.5 < wait <= 10.0  # the fourth call of a 3-per-10-s limit waits for the first to age out
    # A slot further off than the caller can wait is refused and not taken: the next one is no later.
    assert store.take(key, 3, 10.0, max_wait=5) is None
    assert 9.5 < store.take(key, 3, 10.0, max_wait=30) <= 10.0


def test_processes_sharing_the_file_store_keep_the_limit_together(tmp_path):
    """Two worker processes on one machine (the embedded default): 4 calls per 0.5 s between them."""
    # Spawned, not forked: a fork of this threaded test process could inherit a lock held by another thread.
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [context.Process(target=take_slots, args=(str(tmp_path), "shared", 6, out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join(60)
            assert worker.exitcode == 0
    finally:
        for worker in workers:
            worker.kill()
    times = [out.get(timeout=5) for _ in range(12)]
    # The slots given (read a moment after each was taken, so a little late): a window a hair shorter holds 4.
    assert most_in_any_window(times, 0.49) <= 4
    assert max(times) - min(times) >= 1.0  # 12 calls at 4 per 0.5 s cannot take less than 1 s


@pytest.fixture
def boomi_account(db, settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, "BOOMI_TOKEN.ana@example.com:token")
    return lambda base_url: PlatformAccount.objects.create(
        key="boomi-prod", platform="boomi", base_url=base_url, account_id=ACCOUNT, secret_env=ENV
    )


def executions(count: int) -> list[dict]:
    return [
        {
            "@type": "ExecutionRecord",
            "executionId": f"execution-{n}",
            "executionTime": f"2026-05-01T10:{n:02d}:00Z",
            "status": "COMPLETE",
            "executionType": "exec_sched",
            "processId": "proc-1",
        }
        for n in range(count)
    ]


def test_a_poll_keeps_to_its_platforms_limit_across_queryMore_pages(boomi_account, monkeypatch):
    """Boomi's limit (scaled down here to 3 per 0.3 s) holds over the pages of one poll."""
    monkeypatch.setitem(LIMITS, "boomi", (Limit(3, 0.3),))
    standin = BoomiStandIn(
        account_id=ACCOUNT, user="BOOMI_TOKEN.ana@example.com", token="token", executions=executions(10), page_size=1
    )
    with standin as standin_url:
        integration = make_integration(kind="boomi", health_account=boomi_account(standin_url), health_ref="proc-1")
        outcome = poll_source(integration.pk)
    assert outcome.error == "" and outcome.recorded.new_runs == 10
    times = [r.at for r in standin.requests]
    assert len(times) == 10  # one query, nine queryMore
    # Arrival times carry the machine's jitter, so the window checked is half the limit's; unthrottled, all ten
    # arrive within a few milliseconds.
    assert most_in_any_window(times, 0.15) <= 3
    assert times[-1] - times[0] >= 0.6  # 10 calls at 3 per 0.3 s cannot take less


def test_a_slot_too_far_off_is_a_poll_error_and_the_source_waits(boomi_account, monkeypatch):
    monkeypatch.setitem(LIMITS, "boomi", (Limit(1, 3600.0),))
    with BoomiStandIn(
        account_id=ACCOUNT, user="BOOMI_TOKEN.ana@example.com", token="token", executions=executions(3), page_size=1
    ) as standin_url:
        integration = make_integration(kind="boomi", health_account=boomi_account(standin_url), health_ref="proc-1")
        due = timezone.now()
        HealthSource.objects.filter(integration=integration).update(next_poll_at=due)
        outcome = poll_source(integration.pk)
    assert "documented rate limit leaves no call free" in outcome.error
    source = source_of(integration)
    assert source.state != "down" and "documented rate limit" in source.last_poll_error
    # Polled again once the account has room (the longest wait it would take), not on the next beat tick.
    assert source.next_poll_at >= due + dt.timedelta(seconds=outbound.MAX_WAIT_SECONDS)


def test_the_throttle_can_be_switched_off(boomi_account, monkeypatch, settings):
    settings.PLUMBLINE_PLATFORM_THROTTLE = False
    monkeypatch.setitem(LIMITS, "boomi", (Limit(1, 3600.0),))
    with BoomiStandIn(
        account_id=ACCOUNT, user="BOOMI_TOKEN.ana@example.com", token="token", executions=executions(3), page_size=1
    ) as standin_url:
        integration = make_integration(kind="boomi", health_account=boomi_account(standin_url), health_ref="proc-1")
        outcome = poll_source(integration.pk)
    assert outcome.error == "" and outcome.recorded.new_runs == 3


def test_workato_limits_follow_its_jobs_page():
    repeat, jobs = WORKATO_LIMITS
    assert (repeat.requests, repeat.seconds) == (1, 1.0) and repeat.covers("POST", "/api/recipes/7/repeat_jobs")
    assert not repeat.covers("GET", "/api/recipes/7/jobs")
    assert (jobs.requests, jobs.seconds) == (60, 60.0) and jobs.covers("GET", "/api/recipes/7/jobs")
    assert not jobs.covers("GET", "/api/recipes/7")
