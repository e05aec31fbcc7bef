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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from catalog.choices import HealthState, Lifecycle
from catalog.models import Integration, System
from catalog.schedules import Schedule, freeze_at
from monitoring import conf
from monitoring.models import FailedRecord, Flip, HealthSource, Run

FIRST_RECORDS = 5  # failed records named in an alert; the rest are counted
DEPENDENTS_NAMED = 5  # dependent integrations named; the rest are counted
RUNNING = (Lifecycle.LIVE, Lifecycle.DEPRECATED)
RUN_FIELDS = ("external_id", "status", "run_at", "message")

Details = dict[str, Any]


def health_link(integration: Integration) -> str:
    return conf.base_url() + reverse("integration-health", args=[integration.key])


@dataclass
class Facts:
    """What the alerts about a batch of flips need, read in three queries however many flips there are
    (the lateness pass plans alerts for everything it found down, and reads no run history)."""

    runs: dict[int, Run | None] = field(default_factory=dict)  # the latest run, by integration id
    open_records: dict[int, int] = field(default_factory=dict)  # open failed records, by integration id
    first_records: dict[int, list[Details]] = field(default_factory=dict)  # the first of them
    dependents: dict[int, list[str]] = field(default_factory=dict)  # running readers, by system id
    schedules: dict[int, Schedule] = field(default_factory=dict)  # those with a schedule, by integration id

    @classmethod
    def load(cls, integrations: Iterable[Integration]) -> Facts:
        integrations = list(integrations)
        facts = cls(dependents=_dependents(integrations))
        sources = HealthSource.objects.filter(integration_id__in=[i.pk for i in integrations])
        for source in sources.select_related("last_run").only(
            "integration_id", "open_failed_records", "schedule", *(f"last_run__{name}" for name in RUN_FIELDS)
        ):
            facts.runs[source.integration_id] = source.last_run
            facts.open_records[source.integration_id] = source.open_failed_records
            if schedule := Schedule.from_data(source.schedule):
                facts.schedules[source.integration_id] = schedule
        with_records = [pk for pk, count in facts.open_records.items() if count]
        if with_records:
            rank = Window(RowNumber(), partition_by=[F("integration_id")], order_by=[F("position").asc()])
            first = (
                FailedRecord.objects.filter(integration_id__in=with_records, resolved_at=None)
                .annotate(rank=rank)
                .filter(rank__lte=FIRST_RECORDS)
                .order_by("integration_id", "position")
                .values_list("integration_id", "key", "error")
            )
            for integration_id, key, error in first:
                facts.first_records.setdefault(integration_id, []).append({"key": key, "error": error[:300]})
        return facts


def gather(
    flips: Sequence[Flip],
    integrations: dict[int, Integration],
    system: System | None,
    told: Sequence[str],
    facts: Facts,
    *,
    paged: bool = False,
) -> Details:
    """The details of an alert about these flips (several for a roll-up about `system`), told to `told`.

    paged: a recipient is a pager, so each flip gets its outage's dedup key (two more queries a flip).
    """
    return {
        "system": system.display_name if system else "",
        "told": list(told),
        "integrations": [_about(f, integrations[f.integration_id], facts, paged) for f in flips],
    }


def _about(flip: Flip, integration: Integration, facts: Facts, paged: bool) -> Details:
    target = integration.target
    readers = [key for key in facts.dependents.get(integration.target_id or 0, []) if key != integration.key]
    recovered = flip.to_state == HealthState.UP
    records = [] if recovered else facts.first_records.get(integration.pk, [])
    open_count = 0 if recovered else facts.open_records.get(integration.pk, 0)
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
        "run": _shown_run(facts.runs.get(integration.pk)),
        "failed_records": records,
        "failed_records_more": max(open_count - len(records), 0),
        "blast_radius": len(readers),
        "blast_radius_system": target.display_name if target else "",
        "dependents": readers[:DEPENDENTS_NAMED],
        "dedup_key": dedup_key(flip, integration) if paged else "",
        "freeze": freeze_at(schedule, flip.at) if (schedule := facts.schedules.get(integration.pk)) else "",
    }


def _shown_run(run: Run | None) -> Details | None:
    if run is None:
        return None
    return {"id": run.external_id, "status": run.status, "at": run.run_at.isoformat(), "message": run.message[:500]}


def _dependents(integrations: Iterable[Integration]) -> dict[int, list[str]]:
    """{system id: keys of the running integrations reading from it}, for the target systems given."""
    targets = {i.target_id for i in integrations if i.target_id}
    found: dict[int, list[str]] = {}
    if not targets:
        return found
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
        first = flip.pk  # this flip starts the outage
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


def freeze_line(about: Details) -> str:
    """A flip during a close freeze is told as usual, marked: the integration is not expected to run then."""
    if not about.get("freeze"):
        return ""
    return f"During {about['freeze']}: no run is expected then; check whether the freeze explains this before acting."


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
        if frozen := freeze_line(about):
            lines.append(f"  {frozen}")
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
