"""Celery tasks: thin wrappers over plain functions that tests call directly.

Every task is idempotent: polls upsert by external id, lateness re-evaluates stored rows, alerts
are claimed before sending. Results are ignored: nothing reads them, and thousands of polls an
hour would otherwise fill the result backend. acks_late with reject_on_worker_lost (plumbline/celery.py) means a
killed worker's task runs again rather than being lost.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="monitoring.poll_source", ignore_result=True, acks_late=True, soft_time_limit=60, time_limit=90)
def poll_source(integration_id: int) -> str:
    from monitoring.ingest.polling import poll_source as poll

    outcome = poll(integration_id)
    if outcome.error:
        return f"error: {outcome.error}"
    recorded = outcome.recorded
    return f"{recorded.new_runs} new runs" if recorded else "skipped"


@shared_task(name="monitoring.poll_sources", ignore_result=True, acks_late=True, soft_time_limit=240, time_limit=300)
def poll_sources(integration_ids: list[int]) -> str:
    """A batch of polls (as poll_due_sources enqueues them); re-running a batch stores nothing twice."""
    from monitoring.ingest.polling import poll_sources as poll

    outcomes = poll(integration_ids)
    return f"{sum(o.polled for o in outcomes)} polled, {sum(bool(o.error) for o in outcomes)} errors"


@shared_task(name="monitoring.poll_due_sources", ignore_result=True, soft_time_limit=50, time_limit=60)
def poll_due_sources() -> int:
    from monitoring.ingest.polling import poll_due_sources as enqueue_due

    return enqueue_due(poll_sources.delay)


@shared_task(name="monitoring.apply_pings", ignore_result=True, soft_time_limit=50, time_limit=60)
def apply_pings() -> int:
    """Store accepted heartbeats as runs and state; a killed worker's batch stays pending and is applied again."""
    from monitoring.ingest.pending import apply_pending_pings

    return apply_pending_pings()


@shared_task(name="monitoring.evaluate_lateness", ignore_result=True, soft_time_limit=50, time_limit=60)
def evaluate_lateness() -> int:
    from monitoring.alerting.delivery import send_pending
    from monitoring.health.lateness import evaluate_due

    report = evaluate_due()
    if report.alerts:
        send_pending()
    return len(report.flips)


@shared_task(name="monitoring.send_alerts", ignore_result=True, soft_time_limit=120, time_limit=150)
def send_alerts() -> int:
    from monitoring.alerting.delivery import send_pending
    from monitoring.alerting.planning import plan_pending
    from monitoring.alerting.release import release_held

    # Flips whose planner died (older than a lateness pass takes) are planned here.
    plan_pending(min_age_seconds=120)
    # Outages a maintenance window held that outlast it.
    release_held()
    return send_pending()


@shared_task(name="monitoring.escalate_alerts", ignore_result=True, soft_time_limit=120, time_limit=150)
def escalate_alerts() -> int:
    from monitoring.alerting.delivery import send_pending
    from monitoring.alerting.escalation import escalate_due

    created = escalate_due()
    if created:
        send_pending()
    return created


@shared_task(name="monitoring.discover_platforms", ignore_result=True, soft_time_limit=600, time_limit=660)
def discover_platforms() -> int:
    from monitoring.ingest.discovery import discover_platforms as discover

    return discover().seen


@shared_task(name="monitoring.prune_history", ignore_result=True, soft_time_limit=3000, time_limit=3300)
def prune_history() -> str:
    """Forget history older than PLUMBLINE_HISTORY_DAYS; an interrupted pass continues the next night."""
    from monitoring.health.retention import prune_history as prune

    return str(prune())


@shared_task(name="monitoring.replay_resync", ignore_result=True, acks_late=True, soft_time_limit=120, time_limit=150)
def replay_resync(resync_id: int) -> str:
    """Send a re-sync request's failed records again; the request is claimed first, so a redelivery sends nothing."""
    from monitoring.health.resync import replay

    return replay(resync_id)


@shared_task(name="monitoring.settle_resyncs", ignore_result=True, soft_time_limit=120, time_limit=150)
def settle_resyncs() -> int:
    """Resolve what replays fixed, and queue again replay requests whose task was lost."""
    from monitoring.health.resync import settle, stale_open

    for resync_id in stale_open():
        replay_resync.delay(resync_id)
    return settle()
