"""Is a spec "written"? The six required parts of spec-format.md, decided in one pure function."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from catalog.choices import LOOKUP, MAINTAINED_CONNECTOR_TYPES, ErrorSurface
from catalog.models import Integration

PARTS: tuple[str, ...] = (
    "systems",
    "mappings",
    "frequency",
    "error_handling",
    "owner",
    "maintenance",
)


@dataclass(frozen=True)
class Completeness:
    score: float
    missing: tuple[str, ...]

    @property
    def is_complete(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict[str, object]:
        return {"score": round(self.score, 2), "missing": list(self.missing)}


def _frequency_present(integration: Integration) -> bool:
    trigger = integration.sync_trigger
    if not trigger:
        return False
    if trigger == "manual":
        return True
    if trigger == "event":
        return integration.max_latency_minutes is not None
    # A cron schedule says how often as well as an interval does.
    return integration.interval_minutes is not None or bool(integration.sync_schedule)


def _error_handling_present(integration: Integration) -> bool:
    surface = integration.error_surface
    if not surface or not integration.resync:
        return False
    return surface == ErrorSurface.NONE or bool(integration.error_notify)


def _maintenance_present(integration: Integration) -> bool:
    connector_type = integration.connector_type
    if not connector_type:
        return False
    if connector_type in MAINTAINED_CONNECTOR_TYPES:
        return bool(integration.maintained_by) and integration.compatibility_sla_days is not None
    return True


def lookup_without_map(position: int, source: str, target: str) -> str:
    """How a lookup mapping that names no value map is told: mappings[2] (line.account -> line.glAccount)."""
    return f"mappings[{position}] ({source or '?'} -> {target or '?'})"


def open_lookups(mappings: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The mapping rows (as documents give them) that are lookups without a value map."""
    return tuple(
        lookup_without_map(index, row.get("source", ""), row.get("target", ""))
        for index, row in enumerate(mappings)
        if row.get("transform") == LOOKUP and not row.get("value_map")
    )


def assess(integration: Integration, *, has_complete_mapping: bool, open_lookups: Sequence[str] = ()) -> Completeness:
    """Which of the six parts are missing. Reads only the integration, its owner and
    source/target (select_related them), plus whether a mapping names source and target and
    which mappings are lookups without a value map (`open_lookups`: the mappings part is then missing)."""
    present = {
        "systems": integration.source_id is not None and integration.target_id is not None,
        "mappings": has_complete_mapping and not open_lookups,
        "frequency": _frequency_present(integration),
        "error_handling": _error_handling_present(integration),
        "owner": integration.owner_id is not None and integration.owner is not None and integration.owner.active,
        "maintenance": _maintenance_present(integration),
    }
    missing = tuple(part for part in PARTS if not present[part])
    return Completeness(score=(len(PARTS) - len(missing)) / len(PARTS), missing=missing)


def encode_missing(missing: Iterable[str]) -> str:
    """Stored as ',a,b,' so `missing=a` is a simple substring filter on any database."""
    parts = list(missing)
    return f",{','.join(parts)}," if parts else ""


def with_mapping_flag(queryset: QuerySet[Integration]) -> QuerySet[Integration]:
    return queryset.select_related("owner").annotate(
        complete_mapping_count=Count("mappings", filter=Q(mappings__source__gt="", mappings__target__gt="")),
        open_lookup_count=Count("mappings", filter=Q(mappings__transform=LOOKUP, mappings__value_map="")),
    )


def refresh_completeness(queryset: QuerySet[Integration] | None = None) -> int:
    """Recompute the stored completeness of the given integrations; returns how many changed."""
    queryset = Integration.objects.all() if queryset is None else queryset
    changed: list[Integration] = []
    for integration in with_mapping_flag(queryset).iterator(chunk_size=2000):
        # Which lookup lacks its value map is the finding's to say; here only that one does.
        lookups = ("lookup without a value map",) if integration.open_lookup_count else ()  # type: ignore[attr-defined]
        result = assess(
            integration,
            has_complete_mapping=integration.complete_mapping_count > 0,  # type: ignore[attr-defined]
            open_lookups=lookups,
        )
        encoded = encode_missing(result.missing)
        if integration.completeness_score != result.score or (integration.completeness_missing != encoded):
            integration.completeness_score = result.score
            integration.completeness_missing = encoded
            changed.append(integration)
    Integration.objects.bulk_update(changed, ["completeness_score", "completeness_missing"], batch_size=1000)
    return len(changed)
