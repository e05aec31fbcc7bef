"""Two days of made-up run history for the demo estate, so a newcomer's dashboard, graph and
health pages show every health state. Recorded through record_poll() like a real poll, with
run ids on a fixed time grid, so loading it again the same day adds nothing."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

from django.utils import timezone

from catalog.models import Integration, PlatformAccount
from catalog.rules.store import refresh_findings
from monitoring.demo_standins import ACCOUNTS as STANDIN_ACCOUNTS
from monitoring.health.lateness import evaluate_due
from monitoring.health.pipeline import record_poll
from monitoring.health.specs import sync_sources
from monitoring.ingest.discovery import store_discovered
from monitoring.ingest.heartbeats import observe_heartbeat
from monitoring.models import HealthSource, ObservedConnection
from monitoring.platforms.contract import DiscoveredProcess, FailedRecordObservation, PollResult, RunObservation

HISTORY = dt.timedelta(hours=48)
DEFAULT_INTERVAL_MINUTES = 60


@dataclass(frozen=True)
class Story:
    """How one integration behaved: stopped some hours ago, failing lately, or slow."""

    stopped_hours: int = 0
    failing: bool = False
    slowdown: float = 1.0
    dropping: bool = False  # its latest run moved fewer records than it took in (RECORDS_DROPPED)


# Told by name: the one whose spec tolerates a 1% shortfall and whose last run lost 5%.
DROPPING = {"netsuite-gl-to-snowflake"}


# Chosen by key so the same integrations tell the same story on every machine.
def story_of(key: str) -> Story:
    if key in DROPPING:
        return Story(dropping=True)
    pick = zlib.crc32(key.encode()) % 7
    return {3: Story(stopped_hours=6), 5: Story(failing=True), 6: Story(slowdown=1.8)}.get(pick, Story())


def history(integration: Integration, story: Story, now: dt.datetime) -> PollResult:
    interval = dt.timedelta(minutes=(integration.interval_minutes or DEFAULT_INTERVAL_MINUTES) * story.slowdown)
    end = now - dt.timedelta(hours=story.stopped_hours)
    # Align runs to a grid from the epoch so ids repeat between loads.
    step = interval.total_seconds()
    first = int((now - HISTORY).timestamp() // step + 1)
    last = int(end.timestamp() // step)
    runs: list[RunObservation] = []
    failed: list[FailedRecordObservation] = []
    for slot in range(first, last + 1):
        at = dt.datetime.fromtimestamp(slot * step, tz=dt.UTC)
        run_id = f"demo-{slot}"
        count = 20 + zlib.crc32(f"{integration.key}{slot}".encode()) % 80
        is_failure = story.failing and slot >= last - 1
        dropped = count // 20 if story.dropping and slot == last else 0  # 5%, against a 1% tolerance
        runs.append(
            RunObservation(
                external_id=run_id,
                status="failed" if is_failure else "success",
                started_at=at - dt.timedelta(seconds=40),
                finished_at=at,
                records_in=count,
                records_out=count - 2 if is_failure else count - dropped,
                records_failed=2 if is_failure else 0,
                message="2 records rejected by the target" if is_failure else "",
            )
        )
        if is_failure:
            failed += [
                FailedRecordObservation(
                    key=f"INV-{slot % 10000}-{n}",
                    error="Customer not found in target (externalId missing)",
                    occurred_at=at,
                    run_external_id=run_id,
                )
                for n in (1, 2)
            ]
    return PollResult(runs=runs, failed_records=failed)


# What platform discovery would list that no spec describes, per demo account: a Celigo flow someone built
# after go-live and a Workato recipe left running from a pilot (name, ref).
UNDOCUMENTED: dict[str, list[DiscoveredProcess]] = {
    "celigo-prod": [DiscoveredProcess(ref="66a0c3e9b1f2d4a5c6e7f801", name="Shopify refunds to NetSuite credit memos")],
    "workato-prod": [DiscoveredProcess(ref="43105", name="Greenhouse hires to Slack (pilot)")],
}
# A heartbeat to a slug no integration has: a script someone pointed at the platform ping key.
UNDOCUMENTED_SLUG = "nightly-fx-rates-to-netsuite"


def seed_observed(now: dt.datetime) -> int:
    """Record what discovery and pings would have observed in the demo estate: every monitored
    integration's own process, plus connections no spec describes; returns how many are undocumented."""
    refs: dict[int, list[DiscoveredProcess]] = {}
    for integration in Integration.objects.exclude(health_account=None).exclude(health_ref=""):
        process = DiscoveredProcess(ref=integration.health_ref, name=integration.name)
        refs.setdefault(integration.health_account_id, []).append(process)  # type: ignore[arg-type]
    for account in PlatformAccount.objects.filter(
        key__in=["celigo-prod", "workato-prod", "boomi-prod", "mulesoft-prod"]
    ):
        store_discovered(account, [*refs.get(account.pk, []), *UNDOCUMENTED.get(account.key, [])], now)
    if not ObservedConnection.objects.filter(account=None, ref=UNDOCUMENTED_SLUG).exists():  # seeding again adds none
        observe_heartbeat(UNDOCUMENTED_SLUG, now=now)
    return sum(len(found) for found in UNDOCUMENTED.values()) + 1


def seed_demo_health(now: dt.datetime | None = None) -> int:
    """Record demo history for every live, monitored integration; returns how many."""
    now = now or timezone.now()
    sync_sources()
    sources = (
        HealthSource.objects.filter(integration__lifecycle="live")
        .exclude(integration__health_account__key__in=STANDIN_ACCOUNTS)  # polled from the demo's stand-ins
        .select_related("integration")
    )
    for source in sources:
        record_poll(source.integration, history(source.integration, story_of(source.integration.key), now), now=now)
    seed_observed(now)
    evaluate_due(now)
    refresh_findings()  # at once, so the dashboard shows the health findings on first load
    return len(sources)
