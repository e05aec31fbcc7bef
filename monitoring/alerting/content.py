"""What an alert says beyond the state: what to do about it.

Gathered once, when the alert is planned, into Alert.details (JSON) so every transport (email and the
signed webhook as text, Slack, Teams and PagerDuty as their own layouts) tells the same story, as it was
when the flip happened: the failing run, the first failed records, the runbook, who else is told, the
blast radius and the health page.

Blast radius, plainly: the other live (or deprecated, still running) integrations whose source is this
integration's target system, i.e. those that read what this one writes there. They are what may go wrong
next while this one is down or failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.urls import reverse

from catalog.choices import HealthState, Lifecycle
from catalog.models import Integration, System
from monitoring import conf
from monitoring.models import FailedRecord, Flip, Run

FIRST_RECORDS = 5  # failed records named in an alert; the rest are counted
DEPENDENTS_NAMED = 5  # dependent integrations named; the rest are counted
RUNNING = (Lifecycle.LIVE, Lifecycle.DEPRECATED)

Details = dict[str, Any]


def health_link(integration: Integration) -> str:
    return conf.base_url() + reverse("integration-health", args=[integration.key])


def gather(
    flips: Sequence[Flip], integrations: dict[int, Integration], system: System | None, told: Sequence[str]
) -> Details:
    """The details of an alert about these flips (several for a roll-up about `system`), told to `told`."""
    dependents = _dependents(integrations[f.integration_id] for f in flips)
    return {
        "system": system.display_name if system else "",
        "told": list(told),
        "integrations": [_about(flip, integrations[flip.integration_id], dependents) for flip in flips],
    }


def _about(flip: Flip, integration: Integration, dependents: dict[int, list[str]]) -> Details:
    run = _run(flip)
    records, more = _failed_records(flip, run)
    target = integration.target
    readers = dependents.get(integration.target_id or 0, [])
    readers = [key for key in readers if key != integration.key]
    return {
        "key": integration.key,
        "name": integration.display_name,
        "route": " → ".join(s.display_name for s in (integration.source, integration.target) if s),
        "from_state": flip.from_state,
        "to_state": flip.to_state,
        "at": flip.at.isoformat(),
        "reason": flip.reason,
        "owner": integration.owner.display_name if integration.owner else "",
        "health_url": health_link(integration),
        "runbook": integration.documentation,
        "run": _shown_run(run),
        "failed_records": records,
        "failed_records_more": more,
        "blast_radius": len(readers),
        "blast_radius_system": target.display_name if target else "",
        "dependents": readers[:DEPENDENTS_NAMED],
        "dedup_key": dedup_key(flip, integration),
    }


def _run(flip: Flip) -> Run | None:
    """The latest run at the flip (for a failing flip, the failing run); None when none was seen."""
    return (
        Run.objects.filter(integration_id=flip.integration_id, run_at__lte=flip.at, test=False)
        .order_by("-run_at", "-id")
        .only("pk", "external_id", "status", "run_at", "message")
        .first()
    )


def _shown_run(run: Run | None) -> Details | None:
    if run is None:
        return None
    return {"id": run.external_id, "status": run.status, "at": run.run_at.isoformat(), "message": run.message[:500]}


def _failed_records(flip: Flip, run: Run | None) -> tuple[list[Details], int]:
    """The first open failed records of the run (of the integration when it has none), and how many more."""
    if flip.to_state == HealthState.UP:
        return [], 0
    open_records = FailedRecord.objects.filter(integration_id=flip.integration_id, resolved_at=None)
    if run and open_records.filter(run_id=run.pk).exists():
        open_records = open_records.filter(run_id=run.pk)
    first = list(open_records.order_by("position").values("key", "error")[:FIRST_RECORDS])
    more = open_records.count() - len(first) if len(first) == FIRST_RECORDS else 0
    return [{"key": r["key"], "error": r["error"][:300]} for r in first], more


def _dependents(integrations: Any) -> dict[int, list[str]]:
    """{system id: keys of the running integrations reading from it}, for the target systems given."""
    targets = {i.target_id for i in integrations if i.target_id}
    found: dict[int, list[str]] = {}
    readers = (
        Integration.objects.filter(Q(source_id__in=targets) & Q(lifecycle__in=RUNNING))
        .order_by("key")
        .values_list("source_id", "key")
    )
    for source_id, key in readers:
        found.setdefault(source_id, []).append(key)
    return found


def dedup_key(flip: Flip, integration: Integration) -> str:
    """One key per outage: the first flip since the integration was last up, so the trigger of a
    down or failing flip and the resolve of its recovery (and any flip between) carry the same key."""
    earlier = Flip.objects.filter(integration_id=flip.integration_id).filter(
        Q(at__lt=flip.at) | Q(at=flip.at, pk__lt=flip.pk)
    )
    last_up = earlier.filter(to_state=HealthState.UP).order_by("-at", "-id").values_list("at", "pk").first()
    outage = earlier.filter(Q(at__gt=last_up[0]) | Q(at=last_up[0], pk__gt=last_up[1])) if last_up else earlier
    first = outage.order_by("at", "id").values_list("pk", flat=True).first()
    if first is None:
        first = flip.pk  # this flip starts the outage (or is a recovery with no flip before it)
    return f"plumbline/{integration.key}/{first}"


def others_told(details: Details, recipient: str) -> list[str]:
    return [who for who in details.get("told", []) if who != recipient]


def blast_radius_line(about: Details) -> str:
    """The blast radius as a sentence that says what was counted."""
    count, system = about["blast_radius"], about["blast_radius_system"]
    if not system:
        return "Blast radius: unknown, no target system is declared."
    named = ", ".join(about["dependents"])
    more = count - len(about["dependents"])
    listed = f" ({named}{f' and {more} more' if more else ''})" if named else ""
    return (
        f"Blast radius: {count} other running integration{'s' if count != 1 else ''} read from {system}, "
        f"the system this one writes to{listed}."
    )


def run_line(about: Details) -> str:
    run = about["run"]
    if run is None:
        return "Run: none seen yet."
    message = f": {run['message']}" if run["message"] else ""
    return f"Run {run['id']} ({run['status']} at {run['at'][:16].replace('T', ' ')} UTC){message}"


def record_lines(about: Details) -> list[str]:
    lines = [f"{r['key']}: {r['error'] or 'no error given'}" for r in about["failed_records"]]
    if about["failed_records_more"]:
        lines.append(f"and {about['failed_records_more']} more failed records")
    return lines


def text(details: Details, recipient: str) -> str:
    """The what-to-do part of a plain-text alert (email, signed webhook), for one recipient."""
    lines: list[str] = []
    for about in details.get("integrations", []):
        if about["to_state"] == HealthState.UP:
            continue
        lines.append(f"What to do about {about['name']}:")
        lines.append(f"  {run_line(about)}")
        if records := record_lines(about):
            lines.append("  First failed records:")
            lines += [f"    {line}" for line in records]
        lines.append(f"  Runbook: {about['runbook'] or 'none in the spec (documentation)'}")
        lines.append(f"  {blast_radius_line(about)}")
        lines.append(f"  Health page: {about['health_url']}")
        lines.append("")
    others = others_told(details, recipient)
    lines.append(f"Also told: {', '.join(others) if others else 'nobody else'}")
    return "\n".join(lines) + "\n"
