"""Celery tasks of the catalog: thin wrappers around plain functions."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from catalog.completeness import refresh_completeness
from catalog.rules import store


@shared_task
def refresh_findings() -> dict[str, int]:
    """Re-evaluate every finding (nightly: ages, review dates and observed health move on)."""
    return store.refresh_findings().as_dict()


@shared_task(name="catalog.refresh_completeness")
def refresh_completeness_task() -> int:
    """Recompute stored completeness for the whole estate; returns how many changed."""
    return refresh_completeness()


@shared_task(name="catalog.tasks.send_reminders")
def send_reminders_task() -> dict[str, object]:
    """Daily: send the stale-spec digests of the current period not yet sent (once per owner)."""
    from catalog.reminders import send_reminders

    return send_reminders().as_dict()


@shared_task(name="catalog.tasks.send_workaround_reminders")
def send_workaround_reminders_task() -> dict[str, int]:
    """Hourly: remind performers of the workaround runs due today (each run once)."""
    from catalog.workarounds.reminders import send_workaround_reminders

    return send_workaround_reminders().as_dict()


@shared_task(name="catalog.draw_graph", acks_late=False)
def draw_graph_task(filter_fields: dict[str, Any], key: str, fmt: str) -> str:
    """Draw one graph view into the graph cache under the page's view key (the page polls for it).
    Not acked late: a render that killed its worker is not run again; the claim's lease lets a
    later visitor ask again."""
    from catalog.graph.drawing import draw_in_worker

    return draw_in_worker(filter_fields, key, fmt)


@shared_task(name="catalog.snapshot_estate")
def snapshot_estate_task() -> dict[str, object]:
    """Daily, after the nightly findings refresh: today's estate snapshot (one row a day), old ones pruned."""
    from catalog.trend.snapshot import take_snapshot

    return take_snapshot().as_dict()


@shared_task(name="catalog.send_weekly_changes")
def send_weekly_changes_task() -> dict[str, object]:
    """Monday: last week's "what changed" email to each subscriber not yet sent it."""
    from catalog.trend.weekly import send_weekly_changes

    return send_weekly_changes().as_dict()
