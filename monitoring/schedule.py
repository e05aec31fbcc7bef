"""Monitoring's periodic tasks, merged into the Celery app's beat schedule by apps.ready()."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # The ping endpoint queues apply_pings itself; this catches a ping a queued task just missed.
    "monitoring.apply_pings": {"task": "monitoring.apply_pings", "schedule": 10.0},
    "monitoring.poll_due_sources": {"task": "monitoring.poll_due_sources", "schedule": 60.0},
    "monitoring.evaluate_lateness": {"task": "monitoring.evaluate_lateness", "schedule": 60.0},
    "monitoring.send_alerts": {"task": "monitoring.send_alerts", "schedule": 30.0},
    "monitoring.escalate_alerts": {"task": "monitoring.escalate_alerts", "schedule": 300.0},
    "monitoring.discover_platforms": {"task": "monitoring.discover_platforms", "schedule": 3600.0},
    "monitoring.settle_resyncs": {"task": "monitoring.settle_resyncs", "schedule": 300.0},
    "monitoring.prune_history": {"task": "monitoring.prune_history", "schedule": crontab(hour=3, minute=30)},
}


def install(app: Any) -> None:
    """Add (not replace) monitoring's entries, so other apps' schedules survive."""
    schedule = dict(app.conf.beat_schedule or {})
    schedule.update(BEAT_SCHEDULE)
    app.conf.beat_schedule = schedule
