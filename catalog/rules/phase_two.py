"""What a deferral to phase two has cost: DEFERRED_PHASE_TWO, WORKAROUND_EXCEEDS_BUILD, and the
phase-two register (every deferred integration with its age, quarters deferred and workaround
hours to date, most costly first) that the dashboard and the /phase-two/ page show.

The register is sorted and totalled in the database (register() and register_totals()), so a page
of it costs the same few queries however many integrations are deferred; the rows a page shows are
then described in Python by the same functions the findings use (register_items())."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from django.db.models import (
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.choices import Lifecycle, Phase
from catalog.models import Integration
from catalog.models.findings import FindingCode, Severity
from catalog.rules.finding import Facts, Finding, about, number, person_name, plural

WARNING_AFTER_DAYS = 90  # info up to 90 days deferred, warning from 91
CRITICAL_AFTER_DAYS = 180  # critical from 181, or once the target date has passed
DAYS_PER_MONTH = 365.25 / 12  # an average month, so hours to date grow smoothly day by day


def is_deferred(integration: Integration) -> bool:
    return integration.phase == Phase.PHASE_TWO


def age_days(integration: Integration, today: dt.date) -> int | None:
    """Days since deferred_since; None when the deferral date was not written down."""
    if integration.deferred_since is None:
        return None
    return max((today - integration.deferred_since).days, 0)


def quarters_deferred(integration: Integration, today: dt.date) -> int | None:
    """Calendar quarters that have started since the deferral: the planning rounds it has missed."""
    since = integration.deferred_since
    if since is None:
        return None
    start = since.year * 4 + (since.month - 1) // 3
    now = today.year * 4 + (today.month - 1) // 3
    return max(now - start, 0)


def months_elapsed(since: dt.date, today: dt.date) -> float:
    return max((today - since).days, 0) / DAYS_PER_MONTH


def workaround_hours_to_date(integration: Integration, today: dt.date) -> float | None:
    """hours_per_month x months since deferred_since; None when either is unknown."""
    if integration.deferred_since is None or integration.workaround_hours_per_month is None:
        return None
    return integration.workaround_hours_per_month * months_elapsed(integration.deferred_since, today)


def target_passed(integration: Integration, today: dt.date) -> bool:
    return integration.target_date is not None and integration.target_date < today


def deferral_severity(integration: Integration, today: dt.date) -> str:
    age = age_days(integration, today)
    if target_passed(integration, today) or (age is not None and age > CRITICAL_AFTER_DAYS):
        return Severity.CRITICAL
    if age is None or age > WARNING_AFTER_DAYS:
        # An undated deferral cannot show its age, which is itself worth a warning.
        return Severity.WARNING
    return Severity.INFO


def deferred_phase_two(integration: Integration, facts: Facts) -> Finding | None:
    if not is_deferred(integration):
        return None
    today = facts.today
    age = age_days(integration, today)
    since = integration.deferred_since
    if since is None or age is None:
        parts = ["Deferred to phase two with no deferred_since date, so its cost cannot be tracked"]
    else:
        quarters = quarters_deferred(integration, today) or 0
        parts = [
            f"Deferred to phase two on {since.isoformat()}, {plural(age, 'day')} ago "
            f"({plural(quarters, 'quarter')} of planning)"
        ]
    target = integration.target_date
    if target is None:
        parts.append("no target date")
    elif target < today:
        parts.append(f"target date {target.isoformat()} passed {plural((today - target).days, 'day')} ago")
    else:
        parts.append(f"target date {target.isoformat()}")
    if integration.workaround_performed_by or integration.workaround_description:
        who = person_name(integration.workaround_performed_by) if integration.workaround_performed_by else "someone"
        per_month = integration.workaround_hours_per_month
        cost = f", {number(per_month)} h/month" if per_month is not None else ""
        parts.append(f"meanwhile {who} does it by hand{cost}")
    message = "; ".join(parts) + "."
    remedy = "Schedule and staff the build, or set a realistic target date and record why it waits."
    return about(integration, FindingCode.DEFERRED_PHASE_TWO, deferral_severity(integration, today), message, remedy)


def workaround_exceeds_build(integration: Integration, facts: Facts) -> Finding | None:
    if not is_deferred(integration) or integration.build_estimate_hours is None:
        return None
    hours = workaround_hours_to_date(integration, facts.today)
    if hours is None or hours < integration.build_estimate_hours:
        return None
    since = integration.deferred_since
    assert since is not None  # hours is only known with a deferral date
    message = (
        f"The manual workaround has taken about {number(round(hours, 1))} hours since {since.isoformat()} "
        f"({number(integration.workaround_hours_per_month or 0)} h/month), already at or above the "
        f"{number(integration.build_estimate_hours)} hours estimated to build the integration."
    )
    remedy = "Build the integration now: every further month of the workaround costs more than it saves."
    return about(integration, FindingCode.WORKAROUND_EXCEEDS_BUILD, Severity.WARNING, message, remedy)


@dataclass(frozen=True)
class DeferredItem:
    """One row of the phase-two register."""

    integration: Integration
    age_days: int | None
    quarters: int | None
    hours_to_date: float | None
    target_passed: bool
    severity: str
    exceeds_build: bool

    def cost_key(self) -> tuple[bool, float, int, str]:
        # Most workaround hours first; items whose cost is unknown go last.
        return (self.hours_to_date is None, -(self.hours_to_date or 0), -(self.age_days or 0), self.integration.key)


def deferred_integrations() -> QuerySet[Integration]:
    """The integrations in the register: deferred to phase two and not retired."""
    return (
        Integration.objects.filter(phase=Phase.PHASE_TWO)
        .exclude(lifecycle=Lifecycle.RETIRED)
        .select_related("source", "target", "owner", "backup_owner", "workaround_performed_by", "sync_calendar")
    )


class DaysBetween(Func):
    """Whole days from the date `start` to the date `end` (negative when start is later; NULL when
    either is NULL): PostgreSQL subtracts dates, SQLite their julianday()s."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def with_cost(integrations: QuerySet[Integration], today: dt.date) -> QuerySet[Integration]:
    """Integrations annotated, in the database, as age_days() (`deferral_age`), workaround_hours_to_date()
    (`deferral_hours`) and whether that is at or above the build estimate (`deferral_over_build`)."""
    age = Case(
        When(deferred_since__gt=today, then=Value(0)),
        default=DaysBetween(F("deferred_since"), Value(today, output_field=DateField())),
        output_field=IntegerField(),
    )
    hours = ExpressionWrapper(
        F("workaround_hours_per_month") * (F("deferral_age") / Value(DAYS_PER_MONTH)), output_field=FloatField()
    )
    return integrations.annotate(deferral_age=age).annotate(deferral_hours=hours)


# What workaround_exceeds_build() reports, as a filter on with_cost(): NULL hours or estimate never match.
OVER_BUILD = Q(deferral_hours__gte=F("build_estimate_hours"))


# What a row of the register (page, CSV, the dashboard's costliest) reads of an integration and its
# systems and people: loading only these keeps a page of rows cheap to build.
REGISTER_FIELDS = (
    "key",
    "name",
    "phase",
    "lifecycle",
    "deferred_since",
    "target_date",
    "workaround_description",
    "workaround_hours_per_month",
    "build_estimate_hours",
    # When its runs are due (catalog/workarounds/cadence.py): the register counts runs done vs due.
    "workaround_every",
    "sync_timezone",
    *(f"sync_calendar__{field}" for field in ("key", "timezone", "working_days", "holidays")),
    *(f"{system}__{field}" for system in ("source", "target") for field in ("key", "name")),
    *(f"{person}__{field}" for person in ("owner", "workaround_performed_by") for field in ("email", "name")),
    "backup_owner__email",
)


def register(today: dt.date) -> QuerySet[Integration]:
    """The register's integrations (REGISTER_FIELDS of them), most workaround hours to date first
    (unknown ones last), then the longest deferred, then by key: DeferredItem.cost_key's order, in
    the database."""
    return with_cost(deferred_integrations().only(*REGISTER_FIELDS), today).order_by(
        F("deferral_hours").desc(nulls_last=True), Coalesce("deferral_age", 0).desc(), "key"
    )


class RegisterTotals(TypedDict):
    count: int
    hours_to_date: float
    hours_per_month: float
    over_build: int
    build_hours: float  # build estimates of the items that have one


def register_totals(today: dt.date) -> RegisterTotals:
    """How many items the register holds, their workaround hours to date and every month, and how
    many already cost more than building them: one query."""
    base = Integration.objects.filter(phase=Phase.PHASE_TWO).exclude(lifecycle=Lifecycle.RETIRED)
    totals = with_cost(base, today).aggregate(
        count=Count("id"),
        hours=Sum("deferral_hours"),
        monthly=Sum("workaround_hours_per_month"),
        over_build=Count("id", filter=OVER_BUILD),
        build=Sum("build_estimate_hours"),
    )
    return RegisterTotals(
        count=totals["count"],
        hours_to_date=totals["hours"] or 0.0,
        hours_per_month=totals["monthly"] or 0.0,
        over_build=totals["over_build"],
        build_hours=totals["build"] or 0.0,
    )


def deferred_item(integration: Integration, facts: Facts) -> DeferredItem:
    """One row of the register, described by the functions the findings use."""
    today = facts.today
    finding = deferred_phase_two(integration, facts)
    return DeferredItem(
        integration=integration,
        age_days=age_days(integration, today),
        quarters=quarters_deferred(integration, today),
        hours_to_date=workaround_hours_to_date(integration, today),
        target_passed=target_passed(integration, today),
        severity=finding.severity if finding else Severity.INFO,
        exceeds_build=workaround_exceeds_build(integration, facts) is not None,
    )


def register_items(integrations: Iterable[Integration], today: dt.date) -> list[DeferredItem]:
    """Rows of the register in the order given (register()'s, for a page of it)."""
    facts = Facts(today=today, now=timezone.now())
    return [deferred_item(integration, facts) for integration in integrations]


def deferred_items(integrations: list[Integration], today: dt.date) -> list[DeferredItem]:
    """The register's rows, most workaround hours first."""
    return sorted(register_items(integrations, today), key=DeferredItem.cost_key)
