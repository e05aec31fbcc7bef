"""Template helpers shared by the catalog pages: spec parts in words, query strings that
keep the current filters, sortable column headers and readable diff values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.http import QueryDict

from catalog.models import findings
from catalog.ownership import can_edit
from catalog.rules.reconciliation import tolerance_text
from plumbline.accounts import roles

register = template.Library()

# The six required parts of spec-format.md, named and explained for a spec author.
PART_LABELS: dict[str, str] = {
    "systems": "systems",
    "mappings": "field mappings",
    "frequency": "frequency",
    "error_handling": "error handling",
    "owner": "owner",
    "maintenance": "maintenance",
}
PART_REMEDIES: dict[str, str] = {
    "systems": "name a known source and target system",
    "mappings": "add at least one mapping with source and target",
    "frequency": "set the sync trigger and interval_minutes (max_latency_minutes for event triggers)",
    "error_handling": "set how failures surface, who is notified (unless surface is none) and how to resync",
    "owner": "name an active person as owner",
    "maintenance": "set the connector type and, for native, iPaaS and custom-API connectors, "
    "who maintains it and their compatibility SLA in days",
}


@register.filter
def part_label(part: str) -> str:
    return PART_LABELS.get(part, part.replace("_", " "))


@register.filter
def part_remedy(part: str) -> str:
    return PART_REMEDIES.get(part, "")


@register.filter
def parts_text(parts: list[str]) -> str:
    """["mappings", "owner"] -> "field mappings, owner"."""
    return ", ".join(part_label(p) for p in parts)


@register.filter
def is_admin(user: Any) -> bool:
    return roles.is_admin(user)


@register.filter
def finding_title(code: str) -> str:
    """A finding code as people say it ("Errors go only to a log file, or nowhere")."""
    return findings.finding_title(code)


@register.filter
def may_edit(user: Any) -> bool:
    """Owners and admins: they may add what they will own (systems, integrations)."""
    return can_edit(user)


@register.filter
def http_url(value: str) -> str:
    """The URL when it is http(s), else "": a stored link must never run script."""
    return value if value.lower().startswith(("http://", "https://")) else ""


@register.filter
def percent(score: float | None) -> int:
    return round((score or 0) * 100)


@register.filter
def reconciliation_tolerance(integration: Any) -> str:
    """The record shortfall the spec tolerates, as the reconciliation findings word it."""
    text = tolerance_text(integration)
    return "none (every record must be accounted for)" if text == "none" else text


@register.filter
def spec_value(value: Any) -> str:
    """A document value as a spec author would write it; empty as an em dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(spec_value(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _query(context: template.Context, **changes: Any) -> str:
    request = context.get("request")
    params: QueryDict = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for name, value in changes.items():
        params.pop(name, None)
        if value not in (None, ""):
            params[name] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (None/"" removes them)."""
    return _query(context, **changes)


@register.inclusion_tag("includes/sort_header.html", takes_context=True)
def sort_header(context: template.Context, field: str, label: str) -> dict[str, Any]:
    """A column header that sorts by `field` (ascending first, then descending)."""
    request = context.get("request")
    current = request.GET.get("ordering", "") if request is not None else ""
    direction = "ascending" if current == field else "descending" if current == f"-{field}" else ""
    next_ordering = f"-{field}" if direction == "ascending" else field
    return {
        "label": label,
        "direction": direction,
        "href": _query(context, ordering=next_ordering, page=None),
    }
