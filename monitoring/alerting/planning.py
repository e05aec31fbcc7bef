"""From flips to alert rows: who is told, unless a maintenance window covers it, and roll-ups of
several integrations of one system going down in the same lateness pass."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.choices import HealthState
from catalog.models import Integration, Person, System
from catalog.spec.checks import notify_transport
from monitoring.alerting import content
from monitoring.alerting.maintenance import in_maintenance, windows_of
from monitoring.health.state import flip_alerts
from monitoring.models import Alert, Flip
from monitoring.models.choices import Channel

Recipient = tuple[str, str]  # (channel, address)


def channel_of(entry: str) -> str:
    """People are emails; "slack:#finance-alerts", "teams:finance" and "pagerduty:erp" name their transport;
    "#finance-alerts" and http(s) URLs are signed-webhook targets."""
    named = notify_transport(entry)
    if named and named[0] in Channel.values:
        return Channel(named[0])
    if entry.startswith(("#", "http://", "https://")) or "@" not in entry:
        return Channel.WEBHOOK
    return Channel.EMAIL


def recipients(integration: Integration, inactive_emails: Iterable[str] = ()) -> list[Recipient]:
    """The owner (the backup owner while the owner is inactive) and the spec's notify list, deduplicated."""
    inactive = set(inactive_emails)
    found: list[Recipient] = []
    owner, backup = integration.owner, integration.backup_owner
    if owner and owner.active:
        found.append((Channel.EMAIL, owner.email))
    elif backup and backup.active:
        found.append((Channel.EMAIL, backup.email))
    for entry in integration.error_notify or []:
        entry = str(entry).strip()
        if entry and entry not in inactive:
            found.append((channel_of(entry), entry))
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class RollupCandidate:
    flip_id: int
    evaluation: uuid.UUID
    system_ids: frozenset[int]


def group_rollups(candidates: Sequence[RollupCandidate], system_keys: dict[int, str]) -> list[tuple[int, list[int]]]:
    """(system id, flip ids) for each system with 2+ flips down in one evaluation; a flip joins one group.

    Greedy: the system covering most flips first (ties by system key), so "NetSuite: 5 down"
    beats five groups of one.
    """
    remaining = {c.flip_id for c in candidates}
    groups: list[tuple[int, list[int]]] = []
    while True:
        members: dict[tuple[uuid.UUID, int], list[int]] = defaultdict(list)
        for c in candidates:
            if c.flip_id in remaining:
                for system_id in c.system_ids:
                    members[(c.evaluation, system_id)].append(c.flip_id)
        best = min(
            (item for item in members.items() if len(item[1]) >= 2),
            key=lambda item: (-len(item[1]), system_keys.get(item[0][1], ""), str(item[0][0])),
            default=None,
        )
        if best is None:
            return groups
        groups.append((best[0][1], sorted(best[1])))
        remaining -= set(best[1])


def plan_pending(
    now: dt.datetime | None = None, *, evaluation: uuid.UUID | None = None, min_age_seconds: int = 0
) -> int:
    """Plan alerts for flips that still need them; each is claimed by the row lock, so planned once.

    With min_age_seconds, only older flips: a lateness pass plans its own flips (for roll-ups);
    the sweep catches flips whose planner died.
    """
    now = now or timezone.now()
    with transaction.atomic():
        pending = Flip.objects.select_for_update(skip_locked=True, of=("self",)).filter(alerts_planned_at=None)
        if evaluation is not None:
            pending = pending.filter(evaluation=evaluation)
        if min_age_seconds:
            pending = pending.filter(at__lte=now - dt.timedelta(seconds=min_age_seconds))
        flips = list(pending.order_by("id")[:1000])
        return plan_alerts(flips, now)


def plan_alerts(flips: Sequence[Flip], now: dt.datetime) -> int:
    """Create the alert rows for flips the caller holds (fresh in its transaction, or row-locked)."""
    flips = [f for f in flips if flip_alerts(f.from_state, f.to_state)]
    if not flips:
        return 0
    with transaction.atomic():
        integrations = Integration.objects.select_related("owner", "backup_owner", "source", "target").in_bulk(
            {f.integration_id for f in flips}
        )
        suppressed = _suppressed(flips, integrations)
        inactive = inactive_people(integrations.values())
        live = [f for f in flips if f.pk not in suppressed]
        candidates = [
            RollupCandidate(f.pk, f.evaluation, systems_of(integrations[f.integration_id]))
            for f in live
            if f.evaluation is not None and f.to_state == HealthState.DOWN
        ]
        system_ids = {s for c in candidates for s in c.system_ids}
        systems = System.objects.in_bulk(system_ids)
        groups = group_rollups(candidates, {pk: s.key for pk, s in systems.items()})
        by_id = {f.pk: f for f in live}
        facts = content.Facts.load(integrations[f.integration_id] for f in live)
        grouped = {flip_id for _, members in groups for flip_id in members}
        created = 0
        for system_id, members in groups:
            group = [by_id[pk] for pk in members]
            created += create_alerts(group, integrations, inactive, now, system=systems[system_id], facts=facts)
        for flip in live:
            if flip.pk not in grouped:
                created += create_alerts([flip], integrations, inactive, now, facts=facts)
        for flip in flips:
            flip.alerts_planned_at = now
            flip.suppressed_reason = suppressed.get(flip.pk, "")
            flip.save(update_fields=["alerts_planned_at", "suppressed_reason"])
        return created


def systems_of(integration: Integration) -> frozenset[int]:
    return frozenset(pk for pk in (integration.source_id, integration.target_id) if pk)


def _suppressed(flips: Sequence[Flip], integrations: dict[int, Integration]) -> dict[int, str]:
    """Flips during a maintenance window of a system their integration touches, with why."""
    systems = {s.pk: s for i in integrations.values() for s in (i.source, i.target) if s is not None}
    windows = windows_of(systems.values(), min(f.at for f in flips), max(f.at for f in flips))
    reasons = {}
    for flip in flips:
        if held := in_maintenance(windows, sorted(systems_of(integrations[flip.integration_id])), flip.at):
            reasons[flip.pk] = held.window.why
    return reasons


def inactive_people(integrations: Iterable[Integration]) -> set[str]:
    """The emails in these integrations' notify lists that belong to people who have left."""
    emails = {str(e).strip() for i in integrations for e in (i.error_notify or []) if "@" in str(e)}
    return set(Person.objects.filter(Q(email__in=emails) & Q(active=False)).values_list("email", flat=True))


def create_alerts(
    flips: Sequence[Flip],
    integrations: dict[int, Integration],
    inactive: set[str],
    now: dt.datetime,
    *,
    system: System | None = None,
    level: int = 0,
    people: Sequence[Recipient] | None = None,
    escalation_note: str = "",
    facts: content.Facts | None = None,
) -> int:
    """One alert per recipient about these flips (several only for a roll-up about `system`); `facts`
    read once for a whole batch of flips, else here."""
    ordered = sorted(flips, key=lambda f: integrations[f.integration_id].key)
    if people is None:
        people = list(dict.fromkeys(r for f in ordered for r in recipients(integrations[f.integration_id], inactive)))
    subject, body = message(ordered, integrations, system)
    if escalation_note:
        subject, body = f"Escalated: {subject}", f"{escalation_note}\n\n{body}"
    if facts is None:
        facts = content.Facts.load(integrations[f.integration_id] for f in ordered)
    paged = any(channel == Channel.PAGERDUTY for channel, _ in people)
    details = content.gather(ordered, integrations, system, [address for _, address in people], facts, paged=paged)
    alerts = [
        Alert(
            flip=ordered[0],
            system=system,
            channel=channel,
            recipient=address,
            subject=subject[:300],
            body=f"{body}\n{content.text(details, address)}",
            details=details,
            escalation_level=level,
            created_at=now,
        )
        for channel, address in people
    ]
    Alert.objects.bulk_create(alerts)
    if system is not None:
        through = Alert.covers.through
        through.objects.bulk_create([through(alert_id=a.pk, flip_id=f.pk) for a in alerts for f in ordered])
    return len(alerts)


def message(flips: Sequence[Flip], integrations: dict[int, Integration], system: System | None) -> tuple[str, str]:
    """Subject and plain-text body of an alert."""
    lines = []
    for flip in flips:
        integration = integrations[flip.integration_id]
        route = " → ".join(s.display_name for s in (integration.source, integration.target) if s)
        lines += [
            f"{integration.display_name} ({integration.key}){f': {route}' if route else ''}",
            f"  {flip.from_state} → {flip.to_state.upper()} at {flip.at:%Y-%m-%d %H:%M} UTC",
            f"  {flip.reason}",
            f"  Owner: {integration.owner.display_name if integration.owner else 'none named'}",
            f"  {content.health_link(integration)}",
            "",
        ]
    if system is not None:
        subject = f"[Plumbline] {system.display_name}: {len(flips)} integrations are DOWN"
        lines.insert(0, f"{len(flips)} integrations touching {system.display_name} went down together.\n")
    else:
        flip = flips[0]
        name = integrations[flip.integration_id].display_name
        verb = "recovered (UP)" if flip.to_state == HealthState.UP else f"is {flip.to_state.upper()}"
        subject = f"[Plumbline] {name} {verb}"
    return subject, "\n".join(lines).rstrip() + "\n"
