"""Is the written spec there and current? SPEC_INCOMPLETE and STALE_SPEC."""

from __future__ import annotations

import datetime as dt

from catalog.completeness import assess
from catalog.models import Integration, System
from catalog.models.findings import FindingCode, Severity
from catalog.models.value_maps import value_map_stale
from catalog.rules.finding import Facts, Finding, about, listing, plural

PART_NAMES: dict[str, str] = {
    "systems": "systems",
    "mappings": "mappings",
    "frequency": "frequency",
    "error_handling": "error handling",
    "owner": "owner",
    "maintenance": "maintenance",
}

# What to write for each missing part (spec-format.md, "What makes a spec written"), in words a
# finance lead reads; the field paths are finding.SPEC_FIELDS.
PART_FIXES: dict[str, str] = {
    "systems": "which two systems it connects",
    "mappings": "at least one field mapping from the source to the target",
    "frequency": "how often it runs (or, if it reacts to events, the longest delay allowed)",
    "error_handling": "where failures go, who is told, and how missed records are sent again",
    "owner": "an active owner",
    "maintenance": (
        "what kind of connector it is and, for a vendor or custom connector, who maintains it and "
        "how many days they take to fix a break"
    ),
}


def spec_incomplete(integration: Integration, facts: Facts) -> Finding | None:
    result = assess(integration, has_complete_mapping=facts.has_complete_mapping, open_lookups=facts.open_lookups)
    if result.is_complete:
        return None
    names = [PART_NAMES[part] for part in result.missing]
    present = 6 - len(result.missing)
    message = f"Spec is missing {listing(names, limit=6)} ({present} of 6 required parts written)."
    fixes = [PART_FIXES[part] for part in result.missing]
    if facts.open_lookups:
        message += " " + " ".join(f"{row} is a lookup without a value map." for row in facts.open_lookups[:5])
        fixes.append(LOOKUP_FIX)
    remedy = f"Add to the spec: {'; '.join(fixes)}."
    return about(integration, FindingCode.SPEC_INCOMPLETE, Severity.WARNING, message, remedy)


LOOKUP_FIX = "the value map each lookup mapping translates by (value_map: <key of a ValueMap document>)"


def _connected_systems(integration: Integration) -> list[System]:
    systems = [integration.source, integration.target]
    unique = {system.key: system for system in systems if system is not None}
    return list(unique.values())


def _value_map_reason(key: str, reviewed: dt.date | None, facts: Facts) -> str:
    if reviewed is None:
        return f"Value map {key}, which its mappings translate by, has never been reviewed"
    age = (facts.today - reviewed).days
    return (
        f"Value map {key}, which its mappings translate by, was last reviewed on {reviewed.isoformat()}, "
        f"{plural(age, 'day')} ago"
    )


def stale_spec(integration: Integration, facts: Facts) -> Finding | None:
    reviewed = integration.reviewed_at
    reasons: list[str] = []
    changed: list[System] = []
    if reviewed is None:
        reasons.append("The spec has never been reviewed")
    else:
        age = (facts.today - reviewed).days
        if age > facts.review_days:
            reasons.append(
                f"The spec was last reviewed on {reviewed.isoformat()}, {plural(age, 'day')} ago "
                f"(review policy: every {plural(facts.review_days, 'day')})"
            )
        for system in _connected_systems(integration):
            moved = system.major_version_changed_at
            if moved is not None and moved.date() > reviewed:
                changed.append(system)
                reasons.append(
                    f"{system.display_name} changed major version on {moved.date().isoformat()} "
                    f"(now {system.version or 'unstated'}), after the last review on {reviewed.isoformat()}"
                )
    stale_maps = [key for key, at in facts.value_maps if value_map_stale(at, facts.today, facts.review_days)]
    reasons += [_value_map_reason(key, dict(facts.value_maps)[key], facts) for key in stale_maps]
    if not reasons:
        return None
    if changed:
        against = listing([f"{s.display_name} {s.version}".strip() for s in changed])
        remedy = f"Have the owner check the spec against {against} and record the date of that review."
    elif len(stale_maps) < len(reasons):
        remedy = "Have the owner check the spec against the running integration and record the date of that review."
    else:
        remedy = ""
    if stale_maps:
        maps = listing([f"value map {key}" for key in stale_maps])
        remedy += f"{' ' if remedy else ''}Have the owner of {maps} check its rows and mark it reviewed."
    return about(integration, FindingCode.STALE_SPEC, Severity.WARNING, "; ".join(reasons) + ".", remedy)
