"""Slack, Teams and PagerDuty alerts sent by real Celery workers racing each other: each goes exactly once.

Run with PLUMBLINE_TEST_SQLITE=/tmp/pl-mon-test.db (a file the worker can open) or on PostgreSQL.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from monitoring import tasks
from monitoring.alerting.transports.standin import PagerDutyStandIn, SlackStandIn, TeamsStandIn
from monitoring.health.pipeline import record_poll
from monitoring.models import Alert
from monitoring.platforms.contract import PollResult, RunObservation
from tests.celery_worker import celery_worker, redis_broker
from tests.celery_worker import wait_for as wait_for_worker
from tests.monitoring.conftest import make_integration

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
FEEDS = 12


def test_two_workers_racing_send_each_chat_and_paging_alert_once():
    notify = ["slack:#race", "teams:race", "pagerduty:race"]
    for n in range(FEEDS):
        integration = make_integration(f"feed-{n:02}", owner=None, notify=notify)
        record_poll(integration, PollResult(runs=[RunObservation("r-1", "failed")]))
    assert Alert.objects.count() == 3 * FEEDS

    slack, teams, pagerduty = SlackStandIn(), TeamsStandIn(), PagerDutyStandIn()
    with slack as slack_url, teams as teams_url, pagerduty as pagerduty_url:
        env = {
            "PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32",
            "PLUMBLINE_CRED_SLACK_RACE": slack_url + SlackStandIn.PATH,
            "PLUMBLINE_CRED_TEAMS_RACE": f"{teams_url}{TeamsStandIn.PATH}?sig=s3cret-sig",
            "PLUMBLINE_CRED_PAGERDUTY_RACE": ROUTING_KEY,
            "PLUMBLINE_PAGERDUTY_URL": pagerduty_url,
        }
        with (
            celery_worker("alert-race-1", concurrency=2, **env),
            celery_worker("alert-race-2", concurrency=2, **env),
            redis_broker(),
        ):
            for _ in range(12):
                tasks.send_alerts.delay()
            assert wait_for_worker(lambda: not Alert.objects.filter(sent_at=None).exists(), 60.0)
            time.sleep(2)  # let any straggling duplicate show up before counting

    names = {f"[Plumbline] Feed {n:02} is FAILING" for n in range(FEEDS)}
    slack_sent = Counter(m["blocks"][0]["text"]["text"] for m in slack.received)
    teams_sent = Counter(m["attachments"][0]["content"]["body"][0]["text"] for m in teams.received)
    paged = Counter(e["dedup_key"] for e in pagerduty.received)
    assert set(slack_sent) == names and max(slack_sent.values()) == 1
    assert set(teams_sent) == names and max(teams_sent.values()) == 1
    assert len(paged) == FEEDS and max(paged.values()) == 1
    assert {e["event_action"] for e in pagerduty.received} == {"trigger"}
