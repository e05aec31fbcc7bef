"""Stored findings and waivers. `refresh_findings()` evaluates the estate and upserts the result
(keeping first_seen_at, deleting what is resolved); the import signal and a nightly task call it.
A finding with an active waiver is shown as waived and not counted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from catalog.models import Person, StoredFinding, Waiver
from catalog.models.findings import SEVERITY_RANK
from catalog.rows import insert_rows
from catalog.rules.engine import evaluate_estate
from catalog.rules.finding import Finding

Subject = tuple[str, str, str]  # (code, subject_type, subject_key), "" as the estate's key
CHUNK = 500
NEW_FINDING_COLUMNS = (
    "code",
    "subject_type",
    "subject_key",
    "severity",
    "message",
    "remedy",
    "owner_id",
    "first_seen_at",
    "last_seen_at",
)


def subject_of(finding: Finding) -> Subject:
    return (finding.code, *finding.subject)


def active_waivers(today: dt.date) -> dict[Subject, Waiver]:
    """Waivers in force today, by what they waive (the one lasting longest wins); one query."""
    waivers = Waiver.objects.filter(expires_on__gt=today).order_by("expires_on", "id")
    return {(w.code, w.subject_type, w.subject_key): w for w in waivers}


def split_waived(findings: Iterable[Finding], waivers: dict[Subject, Waiver]) -> tuple[list[Finding], list[Finding]]:
    """(counted, waived), each in the order given."""
    counted: list[Finding] = []
    waived: list[Finding] = []
    for finding in findings:
        (waived if subject_of(finding) in waivers else counted).append(finding)
    return counted, waived


def at_or_above(findings: Iterable[Finding], severity: str) -> list[Finding]:
    floor = SEVERITY_RANK[severity]
    return [f for f in findings if f.rank >= floor]


@dataclass(frozen=True)
class RefreshReport:
    created: int
    updated: int
    unchanged: int
    resolved: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def refresh_findings(*, now: dt.datetime | None = None) -> RefreshReport:
    """Evaluate the whole estate and make the stored findings match, in one transaction."""
    now = now or timezone.now()
    findings = evaluate_estate(now=now)
    people = dict(Person.objects.values_list("email", "pk"))
    with transaction.atomic():
        # Plain rows, not model instances: a steady refresh of a big estate mostly compares.
        stored = {
            (code, subject_type, subject_key): (pk, (severity, message, remedy, owner_id))
            for pk, code, subject_type, subject_key, severity, message, remedy, owner_id in (
                StoredFinding.objects.values_list(
                    "pk", "code", "subject_type", "subject_key", "severity", "message", "remedy", "owner_id"
                )
            )
        }
        created: list[tuple[Any, ...]] = []
        changed: list[StoredFinding] = []
        for finding in findings:
            owner_id = people.get(finding.owner) if finding.owner else None
            values = (finding.severity, finding.message, finding.remedy, owner_id)
            row = stored.pop(subject_of(finding), None)
            if row is None:
                created.append((finding.code, finding.subject_type, finding.subject_key or "", *values, now, now))
            elif row[1] != values:
                changed.append(
                    StoredFinding(
                        pk=row[0],
                        severity=finding.severity,
                        message=finding.message,
                        remedy=finding.remedy,
                        owner_id=owner_id,
                    )
                )
        resolved = [pk for pk, _ in stored.values()]
        for start in range(0, len(resolved), CHUNK):
            StoredFinding.objects.filter(pk__in=resolved[start : start + CHUNK]).delete()
        # Plain rows (a first refresh of a big estate creates tens of thousands). A concurrent
        # refresh may have inserted the same finding first; its first_seen_at stands.
        insert_rows(StoredFinding, NEW_FINDING_COLUMNS, created, ignore_conflicts=True)
        StoredFinding.objects.bulk_update(changed, ["severity", "message", "remedy", "owner"], batch_size=CHUNK)
        # Everything left is what this evaluation saw (the rows just created say so already).
        StoredFinding.objects.exclude(last_seen_at=now).update(last_seen_at=now)
    unchanged = len(findings) - len(created) - len(changed)
    return RefreshReport(len(created), len(changed), unchanged, len(resolved))


SEVERITY_ORDER = Case(
    *(When(severity=severity, then=Value(rank)) for severity, rank in SEVERITY_RANK.items()),
    default=Value(0),
    output_field=IntegerField(),
)


def with_waivers(queryset: QuerySet[StoredFinding], today: dt.date) -> QuerySet[StoredFinding]:
    """Annotate waived (bool), waiver_reason and waiver_expires_on from the waiver in force."""
    waivers = Waiver.objects.filter(
        code=OuterRef("code"),
        subject_type=OuterRef("subject_type"),
        subject_key=OuterRef("subject_key"),
        expires_on__gt=today,
    ).order_by("-expires_on", "-id")
    return queryset.annotate(
        waived=Exists(waivers),
        waiver_reason=Subquery(waivers.values("reason")[:1]),
        waiver_expires_on=Subquery(waivers.values("expires_on")[:1]),
    )


def waived_findings(today: dt.date) -> QuerySet[StoredFinding]:
    """The findings a waiver in force covers, found from the waivers' side (few waivers, many
    findings): what the dashboard and the daily snapshot subtract from counts of every finding."""
    in_force = Waiver.objects.filter(expires_on__gt=today)
    exact = in_force.filter(
        code=OuterRef("code"), subject_type=OuterRef("subject_type"), subject_key=OuterRef("subject_key")
    )
    return StoredFinding.objects.filter(subject_key__in=in_force.values("subject_key")).filter(Exists(exact))


def ordered(queryset: QuerySet[StoredFinding], first: Sequence[Any] = ()) -> QuerySet[StoredFinding]:
    """Severity descending, code, subject: the CLI's order; `first` (fields or expressions) sorts ahead."""
    return queryset.order_by(*first, SEVERITY_ORDER.desc(), "code", "subject_type", "subject_key")
