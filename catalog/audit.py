"""The audit trail as files for an auditor: the change log one row per changed field, and every
sign-off (go-live sign-offs, attestations, post-go-live reviews, finding waivers, workaround run
confirmations, "still accurate" reviews) one row each. Both are streamed as CSV, cells a
spreadsheet would run as formulas neutralised as every CSV download here does."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse

from catalog.api.history import changed_fields
from catalog.models import Attestation, ChangeRecord, ReviewSignOff, SignOff, Waiver, WorkaroundRun
from catalog.models.findings import SubjectType
from catalog.reminders.review import CONFIRM_NOTE
from catalog.rules.export import csv_cell
from catalog.value_maps import REVIEW_NOTE

CHANGE_HEADER = ("at", "user", "via", "kind", "key", "action", "field", "before", "after", "note")
SIGNOFF_HEADER = ("at", "by", "record", "kind", "key", "decision", "notes", "before", "after")
STILL_ACCURATE_NOTES = (CONFIRM_NOTE, REVIEW_NOTE)
ROWS_PER_CHUNK = 500  # CSV lines sent per chunk of a streamed download
RECORDS_PER_FETCH = 2000  # change records read per round trip while streaming

# A finding's subject type as the kind of document it names (estate and connection name none).
_SUBJECT_KINDS: dict[str, str] = {
    SubjectType.INTEGRATION: "Integration",
    SubjectType.SYSTEM: "System",
    SubjectType.PERSON: "Person",
    SubjectType.GOLIVE: "GoLive",
    SubjectType.DATA_OBJECT: "DataObject",
}


def cell_text(value: Any) -> str:
    """A value as one CSV cell: absent empty, booleans as the spec files write them, lists and
    groups as JSON, times in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


class _Echo:
    """A file for csv.writer that hands each line back instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def _lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    chunk = [writer.writerow(header)]
    for row in rows:
        chunk.append(writer.writerow([csv_cell(cell_text(value)) for value in row]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def streamed_csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    """A CSV attachment written while it is sent: memory stays flat however many rows."""
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def email_or_none(user: Any) -> str | None:
    return user.get_username() if user is not None else None


# The change log ------------------------------------------------------------------------------


def change_log() -> QuerySet[ChangeRecord]:
    """Every change record, newest first, with its actor (one query for any number of rows)."""
    return ChangeRecord.objects.select_related("actor").order_by("-at", "-id")


def in_period(
    records: QuerySet[ChangeRecord], since: dt.datetime | None, until: dt.datetime | None
) -> QuerySet[ChangeRecord]:
    """The records at or after `since` and before `until` (either may be open)."""
    if since is not None:
        records = records.filter(at__gte=since)
    if until is not None:
        records = records.filter(at__lt=until)
    return records


def change_rows(records: QuerySet[ChangeRecord]) -> Iterator[tuple[Any, ...]]:
    """One row per changed field (a record that changed no field still has one row, fields empty),
    read in batches so memory stays flat."""
    for record in records.iterator(chunk_size=RECORDS_PER_FETCH):
        head = (record.at, email_or_none(record.actor), record.via, record.kind, record.key, record.action)
        changes = changed_fields(record.before, record.after)
        if not changes:
            yield (*head, None, None, None, record.note)
        for change in changes:
            yield (*head, change["field"], change["before"], change["after"], record.note)


def change_row_count(records: QuerySet[ChangeRecord]) -> int:
    """How many rows change_rows() writes: the changed fields are computed, as the file does."""
    values = records.values_list("before", "after").order_by()
    return sum(max(len(changed_fields(before, after)), 1) for before, after in values.iterator(RECORDS_PER_FETCH))


# Sign-offs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignOffRow:
    """One decision someone put their name to."""

    at: dt.datetime
    by: str
    record: str
    kind: str
    key: str
    decision: str
    notes: str = ""
    before: Any = None
    after: Any = None

    def cells(self) -> tuple[Any, ...]:
        return (self.at, self.by, self.record, self.kind, self.key, self.decision, self.notes, self.before, self.after)


def _between(field: str, since: dt.datetime | None, until: dt.datetime | None) -> Q:
    found = Q()
    if since is not None:
        found &= Q(**{f"{field}__gte": since})
    if until is not None:
        found &= Q(**{f"{field}__lt": until})
    return found


def _golive_signoffs(since: dt.datetime | None, until: dt.datetime | None) -> Iterator[SignOffRow]:
    for signoff in SignOff.objects.filter(_between("signed_at", since, until)).select_related("golive"):
        blockers = "; ".join(str(blocker) for blocker in signoff.blockers)
        decision = f"signed off at {signoff.readiness_percent}% ready"
        yield SignOffRow(
            signoff.signed_at,
            signoff.signed_by_email,
            "go-live sign-off",
            "GoLive",
            signoff.golive.key,
            decision + (f" despite blockers: {blockers}" if blockers else ""),
            signoff.override_reason,
        )


def _attestations(since: dt.datetime | None, until: dt.datetime | None) -> Iterator[SignOffRow]:
    attestations = Attestation.objects.filter(_between("recorded_at", since, until)).select_related(
        "golive", "integration"
    )
    for attestation in attestations:
        yield SignOffRow(
            attestation.recorded_at,
            attestation.recorded_by_email,
            "attestation",
            "GoLive",
            attestation.golive.key,
            f"{attestation.get_item_display()} for {attestation.integration.key}: "
            f"done by {attestation.performed_by} on {attestation.performed_on.isoformat()}",
            attestation.evidence_url,
        )


def _review_signoffs(since: dt.datetime | None, until: dt.datetime | None) -> Iterator[SignOffRow]:
    for review in ReviewSignOff.objects.filter(_between("signed_at", since, until)).select_related("golive"):
        figures = ", ".join(f"{name} {count}" for name, count in review.figures.items())
        yield SignOffRow(
            review.signed_at,
            review.signed_by_email,
            "post-go-live review sign-off",
            "GoLive",
            review.golive.key,
            "review signed" + (f" ({figures})" if figures else ""),
            review.notes,
        )


def _waivers(since: dt.datetime | None, until: dt.datetime | None) -> Iterator[SignOffRow]:
    for waiver in Waiver.objects.filter(_between("created_at", since, until)).select_related("created_by"):
        yield SignOffRow(
            waiver.created_at,
            email_or_none(waiver.created_by) or "",
            "finding waiver",
            _SUBJECT_KINDS.get(waiver.subject_type, waiver.subject_type),
            waiver.subject_key,
            f"waived {waiver.code} until {waiver.expires_on.isoformat()}",
            waiver.reason,
        )


def _workaround_runs(since: dt.datetime | None, until: dt.datetime | None) -> Iterator[SignOffRow]:
    runs = WorkaroundRun.objects.filter(Q(confirmed_at__isnull=False) & _between("confirmed_at", since, until))
    for run in runs.select_related("integration"):
        assert run.confirmed_at is not None  # filtered above
        hours = f", {run.hours:g} h" if run.hours is not None else ""
        yield SignOffRow(
            run.confirmed_at,
            run.confirmed_by,
            "workaround run confirmation",
            "Integration",
            run.integration.key,
            f"run due {run.due_at.isoformat()} done, via {run.get_confirmed_via_display()}{hours}",
            run.note,
        )


def _still_accurate(since: dt.datetime | None, until: dt.datetime | None) -> Iterator[SignOffRow]:
    records = in_period(change_log().filter(note__in=STILL_ACCURATE_NOTES), since, until)
    for record in records:
        changes = changed_fields(record.before, record.after)
        reviewed = [change for change in changes if change["field"] == "reviewed_at"]
        yield SignOffRow(
            record.at,
            email_or_none(record.actor) or "",
            "still accurate review",
            record.kind,
            record.key,
            record.note,
            before=reviewed[0]["before"] if reviewed else None,
            after=reviewed[0]["after"] if reviewed else None,
        )


SOURCES = (_golive_signoffs, _attestations, _review_signoffs, _waivers, _workaround_runs, _still_accurate)


def signoff_rows(since: dt.datetime | None, until: dt.datetime | None, kind: str = "") -> list[SignOffRow]:
    """Every sign-off in [since, until), of documents of `kind` if given, newest first: one query
    per kind of record."""
    rows = [row for source in SOURCES for row in source(since, until) if not kind or row.kind == kind]
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows
