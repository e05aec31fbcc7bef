"""What the estate (or one system's integrations) costs to run every month, totalled in the database:
licence and connector fees (cost.licence_per_month, in PLUMBLINE_CURRENCY), maintenance hours
(cost.maintenance_hours_per_month) and, for phase-two items, the manual workaround's hours
(workaround.hours_per_month). With PLUMBLINE_HOURLY_RATE set the hours become money and the whole is
one amount; without it, the fees and the hours are shown side by side."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from catalog.choices import Lifecycle, Phase
from catalog.models import Integration, System


def hourly_rate() -> float | None:
    rate = getattr(settings, "PLUMBLINE_HOURLY_RATE", None)
    return float(rate) if rate is not None else None


def currency() -> str:
    return str(getattr(settings, "PLUMBLINE_CURRENCY", "USD") or "USD")


def in_money(hours: float | None) -> float | None:
    """Hours at the hourly rate; None without a rate (or without hours)."""
    rate = hourly_rate()
    return None if rate is None or hours is None else hours * rate


@dataclass(frozen=True)
class RunningCost:
    """A month of running cost; `total` in money only when a rate is set."""

    integrations: int  # integrations counted (not retired)
    with_cost: int  # of those, how many declare a licence or maintenance hours
    licence: float
    maintenance_hours: float
    workaround_hours: float
    rate: float | None
    currency: str

    @property
    def hours(self) -> float:
        return self.maintenance_hours + self.workaround_hours

    @property
    def hours_cost(self) -> float | None:
        return None if self.rate is None else self.hours * self.rate

    @property
    def total(self) -> float | None:
        """Licences plus hours at the rate; None without a rate (the hours cannot be priced)."""
        return None if self.rate is None else self.licence + self.hours * self.rate


def running_cost_by_lifecycle(integrations: QuerySet[Integration]) -> tuple[dict[str, int], RunningCost]:
    """How many of these integrations are in each lifecycle, and the monthly running cost of those
    not retired: one query, grouped by lifecycle in the database (the dashboard counts both)."""
    declared = Q(cost_licence_per_month__isnull=False) | Q(cost_maintenance_hours_per_month__isnull=False)
    rows = (
        integrations.order_by()
        .values("lifecycle")
        .annotate(
            n=Count("id"),
            declared=Count("id", filter=declared),
            licence=Sum("cost_licence_per_month"),
            maintenance=Sum("cost_maintenance_hours_per_month"),
            workaround=Sum("workaround_hours_per_month", filter=Q(phase=Phase.PHASE_TWO)),
        )
    )
    counts: dict[str, int] = {}
    kept = []
    for row in rows:
        counts[row["lifecycle"]] = row["n"]
        if row["lifecycle"] != Lifecycle.RETIRED:
            kept.append(row)
    cost = RunningCost(
        integrations=sum(row["n"] for row in kept),
        with_cost=sum(row["declared"] for row in kept),
        licence=sum(row["licence"] or 0.0 for row in kept),
        maintenance_hours=sum(row["maintenance"] or 0.0 for row in kept),
        workaround_hours=sum(row["workaround"] or 0.0 for row in kept),
        rate=hourly_rate(),
        currency=currency(),
    )
    return counts, cost


def running_cost(integrations: QuerySet[Integration]) -> RunningCost:
    """The monthly running cost of these integrations (retired ones left out): one query."""
    return running_cost_by_lifecycle(integrations)[1]


def estate_running_cost() -> tuple[dict[str, int], RunningCost]:
    """The estate's integrations by lifecycle, and its running cost."""
    return running_cost_by_lifecycle(Integration.objects.all())


def system_running_cost(system: System) -> RunningCost:
    """What the integrations into or out of the system cost (each counted once)."""
    return running_cost(Integration.objects.filter(Q(source=system) | Q(target=system)))
