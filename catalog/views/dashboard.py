"""The estate dashboard at /: what an auditor looks at first.

Every figure is counted in the database, a group of figures a query, so the page costs the same
dozen queries whatever the size of the estate."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Avg, Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from catalog import choices
from catalog.completeness import PARTS
from catalog.health import UNMONITORED, WORST_FIRST, health_board_path, with_health
from catalog.models import Integration, StoredFinding, System
from catalog.models.findings import Severity
from catalog.rules.phase_two import register, register_items, register_totals
from catalog.rules.store import with_waivers
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


def _counts(field: str, labels: dict[str, str]) -> list[tuple[str, int, str, str]]:
    found = dict(Integration.objects.values_list(field).annotate(n=Count("id")).order_by())
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


@read_only
@role_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    totals = Integration.objects.aggregate(
        n=Count("id"),
        score=Avg("completeness_score"),
        complete=Count("id", filter=Q(completeness_missing="")),
        live=Count("id", filter=Q(lifecycle=choices.Lifecycle.LIVE)),
        # completeness_missing is stored as ",a,b,": each part counted exactly.
        **{f"missing_{part}": Count("id", filter=Q(completeness_missing__contains=f",{part},")) for part in PARTS},
    )
    live = with_health(Integration.objects.filter(lifecycle=choices.Lifecycle.LIVE))
    health = Counter(
        {state or UNMONITORED: n for state, n in live.values_list("health_state").annotate(n=Count("id")).order_by()}
    )

    findings = with_waivers(StoredFinding.objects.all(), today).filter(waived=False)  # type: ignore[misc]
    by_severity = dict(findings.values_list("severity").annotate(n=Count("id")).order_by())
    top_owners = list(
        findings.exclude(owner=None)
        .values("owner__email", "owner__name")
        .annotate(n=Count("id"), critical=Count("id", filter=Q(severity=Severity.CRITICAL)))
        .order_by("-n", "owner__email")[:5]
    )
    deferred = register_totals(today)
    missing_parts = sorted(
        ((part, totals[f"missing_{part}"]) for part in PARTS if totals[f"missing_{part}"]),
        key=lambda row: -row[1],  # most missed first; ties in PARTS' order
    )
    context = {
        "integration_count": totals["n"],
        "live_count": totals["live"],
        "system_count": System.objects.count(),
        "complete_count": totals["complete"],
        "average_completeness": round((totals["score"] or 0) * 100),
        "by_lifecycle": bars(_counts("lifecycle", dict(choices.Lifecycle.choices))),
        "by_connector": bars(_counts("connector_type", dict(choices.ConnectorType.choices))),
        "by_health": _health_bars(health),
        "live_list": _listed("integration-list", {"lifecycle": choices.Lifecycle.LIVE}),
        "health_board": health_board_path(lifecycle=choices.Lifecycle.LIVE) or "",
        "missing_parts": bars(
            [
                (part.replace("_", " "), n, "", _listed("integration-list", {"missing": part}))
                for part, n in missing_parts
            ]
        ),
        "by_severity": bars(
            [
                (label, by_severity.get(value, 0), value, _listed("findings", {"severity": value}))
                for value, label in reversed(Severity.choices)
            ]
        ),
        "finding_count": sum(by_severity.values()),
        "top_owners": top_owners,
        "phase_two_count": deferred["count"],
        "phase_two_hours": round(deferred["hours_to_date"]),
        "phase_two_monthly": round(deferred["hours_per_month"]),
        "phase_two_over_build": deferred["over_build"],
        "costliest": register_items(register(today)[:3], today),
    }
    return render(request, "catalog/dashboard.html", context)
