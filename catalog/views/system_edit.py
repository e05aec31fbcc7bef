"""Editing a system's spec on a page: its owner or an admin; validated like import, version
changes dated in its version history, recorded in the change history (via="page")."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from catalog.forms import SystemForm
from catalog.models import ChangeRecord, System
from catalog.models.systems import version_change
from catalog.ownership import can_edit
from catalog.spec import provenance
from catalog.spec.edits import document_of, record_change
from plumbline.accounts.roles import role_required


@role_required
def system_edit(request: HttpRequest, key: str) -> HttpResponse:
    system = get_object_or_404(System.objects.select_related("owner"), key=key)
    if not can_edit(request.user, system):
        raise PermissionDenied("Only the system's owner or an admin may edit it.")
    if reason := provenance.read_only_reason("System", system.key):
        raise PermissionDenied(reason)
    before = document_of(system)
    previous_version = system.version
    form = SystemForm(request.POST or None, instance=system)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved: System = form.save(commit=False)
            history = version_change(saved, previous_version, timezone.now())
            saved.save()
            if history is not None:
                history.save()
            record = record_change(saved, before, actor=request.user, via=ChangeRecord.Via.PAGE)
        messages.success(request, f"System {key} saved." if record else f"Nothing changed in {key}.")
        return redirect("system-detail", key=key)
    return render(request, "catalog/system_form.html", {"form": form, "system": system})
