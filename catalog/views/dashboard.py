"""The estate dashboard at /: what an auditor looks at first.

Every figure is counted in the database, a group of figures a query, so the page costs the same
dozen queries whatever the size of the estate."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from catalog import choices
from catalog.completeness import PARTS
from catalog.cost import estate_running_cost
from catalog.health import UNMONITORED, WORST_FIRST, health_board_path, with_health
from catalog.models import Integration, StoredFinding, System
from catalog.models.findings import Severity
from catalog.rules.phase_two import register, register_items, register_totals
from catalog.rules.store import waived_findings
from catalog.trend.reading import dashboard_trend
from plumbline.accounts.roles import role_required
from plumbline.http import read_only


@dataclass(frozen=True)
class Bar:
    """One row of a small bar chart: a label, a count and its share of the largest row."""

    label: str
    value: int
    percent: int
    css: str = ""
    link: str = ""


def bars(rows: list[tuple[str, int, str, str]]) -> list[Bar]:
    top = max((value for _, value, _, _ in rows), default=0) or 1
    return [Bar(label, value, round(100 * value / top), css, link) for label, value, css, link in rows]


def _listed(url_name: str, query: dict[str, str]) -> str:
    """The list page `url_name` filtered by `query`: where a dashboard figure links."""
    return f"{reverse(url_name)}?{urlencode(query)}"


def _grouped(field: str) -> dict[str, int]:
    """Integrations counted by `field` (lifecycle, connector type: both indexed, so one index scan)."""
    return dict(Integration.objects.values_list(field).annotate(n=Count("id")).order_by())


def _counts(field: str, found: dict[str, int], labels: dict[str, str]) -> list[tuple[str, int, str, str]]:
    return [
        (
            labels.get(value, value),
            found[value],
            value,
            _listed("integration-list", {field: value}),
        )
        for value in labels
        if found.get(value)
    ] + ([("not stated", found[""], "", "")] if found.get("") else [])


def _health_bars(health: Counter[str]) -> list[Bar]:
    """Live integrations by health state, worst first; each bar opens the health board showing
    exactly those rows, and the unmonitored bar the integration list of live ones with no source."""
    live = choices.Lifecycle.LIVE.value
    rows = [
        (state.label.lower(), health[state], state.value, health_board_path(state=state.value, lifecycle=live) or "")
        for state in WORST_FIRST
        if health[state]
    ]
    if health[UNMONITORED]:
        rows.append(
            (
                UNMONITORED,
                health[UNMONITORED],
                UNMONITORED,
                _listed("integration-list", {"lifecycle": live, "health": UNMONITORED}),
            )
        )
    return bars(rows)


@dataclass(frozen=True)
class SpecTotals:
    count: int
    complete: int
    score: float  # the sum of every completeness score
    missing: list[tuple[str, int]]  # (part, integrations missing it), most missed first


def _spec_totals() -> SpecTotals:
    """How complete the written specs are, in one query: integrations grouped by the parts their
    spec misses (stored as ",a,b,"), a few dozen combinations whatever the estate's size."""
    rows = Integration.objects.values_list("completeness_missing").annotate(
        n=Count("id"), score=Sum("completeness_score")
    )
    missing: Counter[str] = Counter()
    count = complete = 0
    score = 0.0
    for parts, n, part_score in rows.order_by():
        count += n
        score += part_score or 0
        complete += n if not parts else 0
        missing.update(dict.fromkeys((part for part in parts.split(",") if part), n))
    ranked = sorted(missing.items(), key=lambda row: (-row[1], PARTS.index(row[0]) if row[0] in PARTS else len(PARTS)))
    return SpecTotals(count, complete, score, ranked)


@dataclass(frozen=True)
class FindingFigures:
    by_severity: dict[str, int]
    top_owners: list[dict[str, Any]]  # owner__email, owner__name, n, critical: the five with the most


def _finding_figures(today: dt.date) -> FindingFigures:
    """Open findings (no waiver in force covers them: what catalog.rules.store.with_waivers decides)
    by severity, and the owners with the most. Every finding is counted from the indexes on severity
    and owner, less the waived ones, found from the waivers' side; three queries, none reading every
    finding's row."""
    waived = waived_findings(today).values_list("severity", "owner_id").annotate(n=Count("id")).order_by()
    waived_severity: Counter[str] = Counter()
    waived_owner: Counter[int] = Counter()
    waived_critical: Counter[int] = Counter()
    for severity, owner_id, n in waived:
        waived_severity[severity] += n
        if owner_id is not None:
            waived_owner[owner_id] += n
            waived_critical[owner_id] += n if severity == Severity.CRITICAL else 0
    every = StoredFinding.objects.order_by()
    by_severity = {
        severity: n - waived_severity[severity]
        for severity, n in every.values_list("severity").annotate(n=Count("id"))
        if n > waived_severity[severity]
    }
    owned = every.exclude(owner=None)
    owners = [
        {
            "owner__email": email,
            "owner__name": name,
            "n": n - waived_owner[owner_id],
            "critical": critical - waived_critical[owner_id],
        }
        for owner_id, email, name, n, critical in owned.values_list("owner_id", "owner__email", "owner__name").annotate(
            n=Count("id"), critical=Count("id", filter=Q(severity=Severity.CRITICAL))
        )
        if n > waived_owner[owner_id]
    ]
    owners.sort(key=lambda row: (-row["n"], row["owner__email"]))
    return FindingFigures(by_severity, owners[:5])


@read_only
@role_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    by_lifecycle, running_cost = estate_running_cost()  # one query: counts by lifecycle and the cost
    specs = _spec_totals()
    live = with_health(Integration.objects.filter(lifecycle=choices.Lifecycle.LIVE))
    health = Counter(
        {state or UNMONITORED: n for state, n in live.values_list("health_state").annotate(n=Count("id")).order_by()}
    )

    findings = _finding_figures(today)
    by_severity = findings.by_severity
    deferred = register_totals(today)
    context = {
        "integration_count": specs.count,
        "live_count": by_lifecycle.get(choices.Lifecycle.LIVE, 0),
        "system_count": System.objects.count(),
        "complete_count": specs.complete,
        "average_completeness": round(specs.score / specs.count * 100) if specs.count else 0,
        "by_lifecycle": bars(_counts("lifecycle", by_lifecycle, dict(choices.Lifecycle.choices))),
        "by_connector": bars(
            _counts("connector_type", _grouped("connector_type"), dict(choices.ConnectorType.choices))
        ),
        "by_health": _health_bars(health),
        "live_list": _listed("integration-list", {"lifecycle": choices.Lifecycle.LIVE}),
        "health_board": health_board_path(lifecycle=choices.Lifecycle.LIVE) or "",
        "missing_parts": bars(
            [
                (part.replace("_", " "), n, "", _listed("integration-list", {"missing": part}))
                for part, n in specs.missing
            ]
        ),
        "by_severity": bars(
            [
                (label, by_severity.get(value, 0), value, _listed("findings", {"severity": value}))
                for value, label in reversed(Severity.choices)
            ]
        ),
        "finding_count": sum(by_severity.values()),
        "top_owners": findings.top_owners,
        "phase_two_count": deferred["count"],
        "phase_two_hours": round(deferred["hours_to_date"]),
        "phase_two_monthly": round(deferred["hours_per_month"]),
        "phase_two_over_build": deferred["over_build"],
        "costliest": register_items(register(today)[:3], today),
        "trend": dashboard_trend(today),
        "running_cost": running_cost,
    }
    return render(request, "catalog/dashboard.html", context)
