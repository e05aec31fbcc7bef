"""People pages: the list, one person's page (what they own, back up, perform, and the
systems they own) and /me/, the same page for the logged-in user."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from catalog.filters import PersonFilterSet
from catalog.models import Integration, Person, Reminder, ReviewSnooze
from catalog.ownership import person_of
from catalog.views import listing
from catalog.views.generic import Column, ObjectListView, url_of
from catalog.views.history import history_of
from catalog.views.systems import integration_count
from catalog.views.trend import subscription_context
from plumbline.accounts.roles import ADMIN, OWNER, VIEWER, role_of, role_required
from plumbline.http import read_only

INTEGRATION_ROW_RELATED = ("source", "target", "owner")

# What each role may do, as /me/ tells a user with no Person in the catalog (same rules as
# plumbline/accounts/roles.py and catalog/ownership.py).
ROLE_ABILITIES: dict[str, tuple[str, ...]] = {
    VIEWER: (
        "read every integration, system, person, finding, go-live and health page",
        "download lists as CSV and the graph as SVG, PNG or DOT",
        "read the API with a read-only token",
    ),
    OWNER: (
        "everything a viewer can",
        "edit the integrations you own or back up and the systems you own, once a Person has your email",
        "waive findings and attest go-live checklist items for the integrations you own",
        "confirm or snooze reviews of your specs from the weekly reminder",
    ),
    ADMIN: (
        "everything an owner can, on every integration and system",
        "upload spec files and create integrations for anyone",
        "waive any finding, attest any go-live item and sign off any go-live",
        "see every reminder sent",
        "manage users, roles and API tokens in the admin",
    ),
}


# The list page shows the columns with a label; the CSV (people.csv) those with csv=True, in this order.
COLUMNS = (
    Column("email"),
    Column(
        "name", label="Person", show="display_name", note="email", sort="name", link=url_of("person-detail", "email")
    ),
    Column("team", label="Team", sort="team"),
    Column("manager", "manager.email", label="Manager", show="manager.display_name", link="person-detail"),
    Column("owns", "owned_count", label="Owns"),
    Column("backs_up", "backup_count", label="Backs up"),
    Column("active", label="Status", template="includes/person_status.html"),
)

person_list = read_only(
    role_required(
        ObjectListView(
            queryset=Person.objects.select_related("manager")
            .annotate(owned_count=integration_count("owner"), backup_count=integration_count("backup_owner"))
            .order_by("email"),
            filterset=PersonFilterSet,
            columns=COLUMNS,
            template="catalog/person_list.html",
        )
    )
)


def person_context(person: Person) -> dict[str, Any]:
    """Everything a person is answerable for, one query per list (two when it is long)."""
    integrations = Integration.objects.select_related(*INTEGRATION_ROW_RELATED)
    listed = reverse("integration-list")
    return {
        "person": person,
        "owned": listing.capped(integrations.filter(owner=person), f"{listed}?{urlencode({'owner': person.email})}"),
        "backed_up": listing.capped(
            integrations.filter(backup_owner=person), f"{listed}?{urlencode({'backup_owner': person.email})}"
        ),
        "workarounds": listing.capped(integrations.filter(workaround_performed_by=person)),
        "systems": list(person.systems.all()),
        "reports": list(person.reports.all()),
        "history": history_of("Person", person.email),
    }


@read_only
@role_required
def person_detail(request: HttpRequest, email: str) -> HttpResponse:
    try:
        person = Person.objects.select_related("manager").get(email__iexact=email)
    except Person.DoesNotExist:
        raise Http404(f"There is no person with the email “{email}”.") from None
    return render(request, "catalog/person_detail.html", person_context(person))


@read_only
@role_required
def me(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    role = role_of(request.user) or VIEWER
    context: dict[str, Any] = person_context(person) if person is not None else {"person": None}
    context.update(role=role, abilities=ROLE_ABILITIES[role], is_admin=role == ADMIN, is_owner=role == OWNER)
    context.update(subscription_context(request.user))
    if person is not None:
        context["reminders"] = list(Reminder.objects.filter(person=person).order_by("-period_start")[:5])
        context["snoozes"] = list(
            ReviewSnooze.objects.filter(integration__owner=person, until__gt=timezone.localdate())
            .select_related("integration")
            .order_by("until")
        )
    return render(request, "catalog/me.html", context)
