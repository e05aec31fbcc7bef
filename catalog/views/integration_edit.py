"""Editing an integration's spec on a page: validated by the import's rules, saved with its
mappings in one transaction, and recorded in the change history (via="page")."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from catalog.forms import IntegrationForm, mapping_formset, ordered_mappings
from catalog.models import ChangeRecord, Integration, Mapping
from catalog.ownership import can_edit, person_of
from catalog.spec import provenance
from catalog.spec.edits import document_of, record_change
from catalog.views.integrations import get_integration
from plumbline.accounts.roles import is_admin, role_required


@role_required
def integration_new(request: HttpRequest) -> HttpResponse:
    if not can_edit(request.user):
        raise PermissionDenied("Only owners and admins add integrations.")
    # An owner must name themselves, or they could not edit what they just created.
    creator_email = (
        None if is_admin(request.user) else getattr(request.user, "email", "") or request.user.get_username()
    )
    initial: dict[str, Any] = {}
    if creator_email and (person := person_of(request.user)):
        initial["owner"] = person.email
    return _edit(request, Integration(), initial=initial, creator_email=creator_email)


@role_required
def integration_edit(request: HttpRequest, key: str) -> HttpResponse:
    integration = get_integration(key)
    if not can_edit(request.user, integration):
        raise PermissionDenied(
            "Only the integration's owner, its backup owner or an admin may edit it. "
            "Ask them, or an admin, to make the change."
        )
    if reason := provenance.read_only_reason("Integration", integration.key):
        raise PermissionDenied(reason)
    return _edit(request, integration)


def _edit(
    request: HttpRequest,
    integration: Integration,
    *,
    initial: dict[str, Any] | None = None,
    creator_email: str | None = None,
) -> HttpResponse:
    creating = integration.pk is None
    stored = [] if creating else list(integration.mappings.all())
    before = None if creating else document_of(integration)
    if request.method == "POST":
        form = IntegrationForm(request.POST, instance=integration, creator_email=creator_email)
        formset = mapping_formset(request.POST)
        # Both validate before anything is written, so a refused edit changes nothing.
        if form.is_valid() & formset.is_valid():
            saved, record = _save(request, form, formset, before)
            if record is None:
                messages.info(request, f"Nothing changed in {saved.key}.")
            else:
                messages.success(request, f"Integration {saved.key} {'added' if creating else 'saved'}.")
            return redirect("integration-detail", key=saved.key)
    else:
        form = IntegrationForm(instance=integration, initial=initial, creator_email=creator_email)
        formset = mapping_formset(None, stored)
    context = {"form": form, "formset": formset, "integration": integration, "creating": creating}
    return render(request, "catalog/integration_form.html", context)


@transaction.atomic
def _save(
    request: HttpRequest, form: IntegrationForm, formset: Any, before: dict[str, Any] | None
) -> tuple[Integration, ChangeRecord | None]:
    integration: Integration = form.save()
    # Mappings have no identity in the spec: like import, replace them in the order given.
    integration.mappings.all().delete()
    Mapping.objects.bulk_create(
        Mapping(integration=integration, position=index, **values)
        for index, values in enumerate(ordered_mappings(formset))
    )
    record = record_change(integration, before, actor=request.user, via=ChangeRecord.Via.PAGE)
    return integration, record
