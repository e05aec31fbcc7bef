"""The demo estate: Halvard Outdoor, a made-up mid-size outdoor-gear company, kept as
plumbline/v1 spec files under specs/ and loaded through the same importer as a customer's.

The files write dates as {{ today - N }} or {{ today + N }}, filled in at load time, so the
demo looks equally old whenever it is seeded (the Chargebee deferral is always 200 days old)
and renders identically within one day, which is what makes seeding twice change nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from catalog.models import ChangeRecord, ConfirmedVia, GoLive, Integration, SignOff
from catalog.models.findings import FindingCode, SubjectType, Waiver
from catalog.readiness.load import readiness_by_golive
from catalog.spec.importer import ImportReport, import_sources
from catalog.workarounds.runs import cadence_for, confirm, register_window

SPEC_DIR = Path(__file__).resolve().parent / "specs"
PROJECT_DIR = Path(__file__).resolve().parents[2]
# The note on the change records of documents the demo created: how seeding tells the demo's
# own data from anyone else's under the same key.
DEMO_NOTE = "seed_demo"

_RELATIVE_DATE = re.compile(r"\{\{\s*today\s*(?:([+-])\s*(\d+)\s*)?\}\}")


class DemoConflict(Exception):
    """Demo keys already name data that the demo did not create."""

    def __init__(self, subjects: list[tuple[str, str]]) -> None:
        self.subjects = subjects
        listed = ", ".join(f"{kind.lower()} {key}" for kind, key in subjects)
        super().__init__(f"the database already holds, under demo keys, data seed_demo did not create: {listed}")


def render(text: str, today: dt.date) -> str:
    """The spec text with every {{ today ± N }} replaced by that ISO date."""

    def replace(match: re.Match[str]) -> str:
        days = int(match.group(2) or 0)
        return (today + dt.timedelta(days=-days if match.group(1) == "-" else days)).isoformat()

    return _RELATIVE_DATE.sub(replace, text)


def sources(today: dt.date) -> list[tuple[str, str]]:
    """(name, text) of every demo spec file with its dates filled in, for import_sources."""
    return [
        (str(path.relative_to(PROJECT_DIR)), render(path.read_text(encoding="utf-8"), today))
        for path in sorted(SPEC_DIR.glob("*.yaml"))
    ]


def seed(today: dt.date) -> ImportReport:
    """Import the demo as of `today`, all or nothing. Raises DemoConflict, writing nothing, when
    a demo key already holds data the demo did not create; data under other keys is left alone."""
    demo = sources(today)
    with transaction.atomic():
        preview = import_sources(demo, dry_run=True)
        if foreign := _not_created_by_demo(preview.updated + preview.unchanged):
            raise DemoConflict(foreign)
        last_id = ChangeRecord.objects.aggregate(last=Max("id"))["last"] or 0
        report = import_sources(demo)
        _mark_created(report.created, after_id=last_id)
        _seed_waivers(today)
        _seed_signoffs(today)
        _seed_workaround_runs(today)
    return report


# A finding the demo company has accepted, so the findings page shows a waiver.
WAIVERS = [
    (
        FindingCode.CONNECTOR_MAINTENANCE_UNOWNED,
        "avalara-tax-for-netsuite",
        "Avalara maintains its own NetSuite connector under the support contract; IT reviews it each quarter.",
        90,
    ),
]


# Data objects several channels post as separate records of their own (each order, payout or journal is
# written once, by one source): accepted, so the findings page shows data-object waivers too. Customer,
# account and contact stay open: there two sources really do write the same records.
OBJECT_WAIVERS = [
    (
        FindingCode.CONFLICTING_WRITERS,
        "sales-order",
        "Each channel (web shop, sales, EDI) posts its own orders; order numbers are prefixed by channel.",
        180,
    ),
    (
        FindingCode.CONFLICTING_WRITERS,
        "payout",
        "Shopify and Stripe post their own payouts; the bank feed matches each to one deposit.",
        180,
    ),
    (
        FindingCode.CONFLICTING_WRITERS,
        "payment",
        "Each processor posts its own receipts (prefixed by source); AR matches them to invoices daily.",
        180,
    ),
    (
        FindingCode.CONFLICTING_WRITERS,
        "invoice",
        "Chargebee posts subscription invoices, Coupa supplier bills, Avalara only the tax lines of either.",
        180,
    ),
    (
        FindingCode.CONFLICTING_WRITERS,
        "credit-memo",
        "Billing, web-shop and support refunds each post their own credit memos, numbered by source.",
        90,
    ),
    (
        FindingCode.CONFLICTING_WRITERS,
        "refund",
        "Shopify and Zendesk refunds are separate records; the monthly refund reconciliation ties them out.",
        90,
    ),
    (
        FindingCode.CONFLICTING_WRITERS,
        "bank-transaction",
        "Bank statements and processor payouts are different transactions; bank reconciliation matches them.",
        180,
    ),
    (
        FindingCode.CONFLICTING_WRITERS,
        "journal-entry",
        "Payroll and the EMEA subsidiary post to separate journals; the close checklist reviews both.",
        180,
    ),
]


def _seed_waivers(today: dt.date) -> None:
    """The demo's waivers, once each: seeding again keeps the first (and its expiry)."""
    waivers = [(SubjectType.INTEGRATION, *waiver) for waiver in WAIVERS]
    waivers += [(SubjectType.DATA_OBJECT, *waiver) for waiver in OBJECT_WAIVERS]
    for subject_type, code, key, reason, days in waivers:
        Waiver.objects.get_or_create(
            code=code,
            subject_type=subject_type,
            subject_key=key,
            defaults={"reason": reason, "expires_on": today + dt.timedelta(days=days)},
        )


# The go-live the demo company signed off the day before it went live, overriding what still blocked:
# long past its post-go-live review, so the demo shows GOLIVE_REVIEW_DUE and the review page.
SIGNOFFS = [
    (
        "netsuite-oneworld-go-live",
        "Cut-over approved by the steering committee; the open items move to the phase-two register",
    ),
]


def _seed_signoffs(today: dt.date) -> None:
    """The demo's sign-offs, once each: seeding again keeps the first."""
    for key, reason in SIGNOFFS:
        golive = GoLive.objects.select_related("approver").get(key=key)
        if golive.signoffs.exists() or golive.date is None or golive.approver is None:
            continue
        readiness = readiness_by_golive([golive.pk], today)[golive.pk]
        signed_at = dt.datetime.combine(golive.date - dt.timedelta(days=1), dt.time(17))
        SignOff.objects.create(
            golive=golive,
            signed_by_email=golive.approver.email,
            signed_at=timezone.make_aware(signed_at),
            readiness_percent=readiness.percent,
            blockers=list(readiness.blockers),
            override_reason=reason if readiness.is_blocked else "",
        )


# The demo's workaround runs in the register's window: each confirmed by its performer (alternately
# from the reminder link and the page, with the hours it took) except the last `missed` runs due before
# today. Chargebee invoices misses two in a row (critical: Aisha was out), Shopify payouts its last.
WORKAROUND_RUNS = [
    ("chargebee-invoices-to-netsuite", 2.5, 2),
    ("chargebee-payments-to-netsuite", 0.75, 0),
    ("shopify-payouts-to-netsuite", 1.0, 1),
]


def _seed_workaround_runs(today: dt.date) -> None:
    """Confirmed runs, once each: seeding again confirms nothing twice (runs.confirm is idempotent)."""
    now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
    for key, hours, missed in WORKAROUND_RUNS:
        integration = Integration.objects.select_related("sync_calendar", "workaround_performed_by").get(key=key)
        cadence = cadence_for(integration)
        assert cadence is not None, f"the demo's {key} declares workaround.every"
        before_today = cadence.between(register_window(integration, now), cadence.day_start(today))
        performer = integration.workaround_performed_by.email if integration.workaround_performed_by else ""
        for index, due in enumerate(reversed(before_today[missed:])):
            via = ConfirmedVia.LINK if index % 2 else ConfirmedVia.PAGE
            confirm(integration, via=via, by=performer, hours=hours, now=due + dt.timedelta(hours=3), due_at=due)


def _not_created_by_demo(subjects: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The stored (kind, key) pairs whose latest creation was not the demo's."""
    if not subjects:
        return []
    creations = ChangeRecord.objects.filter(
        action=ChangeRecord.Action.CREATE,
        kind__in={kind for kind, _ in subjects},
        key__in={key for _, key in subjects},
    ).order_by("at", "id")
    latest_note: dict[tuple[str, str], str] = {}
    for kind, key, note in creations.values_list("kind", "key", "note"):
        latest_note[(kind, key)] = note  # a key deleted and created again belongs to its last creator
    return sorted(subject for subject in subjects if latest_note.get(subject) != DEMO_NOTE)


def _mark_created(created: list[tuple[str, str]], *, after_id: int) -> None:
    wanted = set(created)
    records = ChangeRecord.objects.filter(id__gt=after_id, action=ChangeRecord.Action.CREATE)
    ids = [pk for pk, kind, key in records.values_list("id", "kind", "key") if (kind, key) in wanted]
    ChangeRecord.objects.filter(id__in=ids).update(note=DEMO_NOTE)
