"""The main navigation: one list of sections, each marked as the current page's section
(aria-current="page") when the request's view belongs to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse

from plumbline.accounts import roles

register = template.Library()


@dataclass(frozen=True)
class Section:
    url_name: str
    label: str
    # The view names (exact, or a prefix ending in "-") whose pages belong to this section.
    views: tuple[str, ...]
    admins_only: bool = False


SECTIONS = (
    Section("dashboard", "Dashboard", ("dashboard",)),
    Section("integration-list", "Integrations", ("integration-", "failed-records-action", "dead-pings-action")),
    Section("system-list", "Systems", ("system-",)),
    Section("data-object-list", "Data objects", ("data-object-",)),
    Section("person-list", "People", ("person-",)),
    Section("valuemap-list", "Value maps", ("valuemap-",)),
    Section("graph", "Graph", ("graph", "graph-")),
    Section("findings", "Findings", ("findings", "finding-")),
    Section("phase-two", "Phase two", ("phase-two",)),
    Section("golive-list", "Go-lives", ("golive-",)),
    Section("health-board", "Health", ("health-board",)),
    Section("observed-connections", "Observed", ("observed-connections", "account-")),
    Section("reminder-list", "Reminders", ("reminder-list", "review")),
    Section("api:docs", "API docs", ("api:docs",)),
    Section("me", "Me", ("me",)),
    Section("upload", "Upload", ("upload",), admins_only=True),
    Section("audit", "Audit trail", ("audit", "audit-"), admins_only=True),
    Section("admin:index", "Admin", ("admin:",), admins_only=True),
)


def belongs(view_name: str, section: Section) -> bool:
    return any(view_name == v or (v.endswith(("-", ":")) and view_name.startswith(v)) for v in section.views)


@register.inclusion_tag("includes/main_nav.html", takes_context=True)
def main_nav(context: template.Context) -> dict[str, Any]:
    """The sections this user may open, with the current one marked."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match is not None else ""
    admin = roles.is_admin(getattr(request, "user", None))
    return {
        "items": [
            {"href": reverse(s.url_name), "label": s.label, "current": bool(current) and belongs(current, s)}
            for s in SECTIONS
            if admin or not s.admins_only
        ]
    }
