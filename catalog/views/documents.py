"""Adding and editing the documents around integrations on pages: systems, data objects, people, platform
accounts and go-lives. Each form checks what import checks (forms.SpecForm), each save is recorded in the change history
(via "page") exactly as an import or API write is, and a document the spec files own
(PLUMBLINE_SPECS_FROM_GIT) is refused with the file to change instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from catalog.filters import PlatformAccountFilterSet
from catalog.forms import (
    DataObjectForm,
    GoLiveForm,
    NewSystemForm,
    PersonForm,
    PlatformAccountForm,
    SpecForm,
    ValueMapForm,
)
from catalog.models import (
    ChangeRecord,
    DataObject,
    GoLive,
    GoLiveIntegration,
    Person,
    PlatformAccount,
    System,
    ValueMap,
)
from catalog.ownership import can_edit
from catalog.spec import provenance
from catalog.spec.edits import document_of, record_change
from catalog.views.generic import Column, ObjectListView
from plumbline.accounts.roles import email_of, is_admin, role_required
from plumbline.http import read_only


@dataclass(frozen=True)
class Editable:
    kind: str  # the spec kind
    noun: str  # as the page says it
    model: type[models.Model]
    lookup: str  # the key's field
    form: type[SpecForm]
    listing: str  # URL name of its list
    detail: str = ""  # URL name of its page, when it has one
    owners_add: bool = False  # an owner may add one that names them as its owner


SYSTEM = Editable("System", "system", System, "key", NewSystemForm, "system-list", "system-detail", owners_add=True)
DATA_OBJECT = Editable(
    "DataObject",
    "data object",
    DataObject,
    "key",
    DataObjectForm,
    "data-object-list",
    "data-object-detail",
    owners_add=True,
)
PERSON = Editable("Person", "person", Person, "email", PersonForm, "person-list", "person-detail")
ACCOUNT = Editable("PlatformAccount", "platform account", PlatformAccount, "key", PlatformAccountForm, "account-list")
GO_LIVE = Editable("GoLive", "go-live", GoLive, "key", GoLiveForm, "golive-list", "golive-detail")
# Its rows are replaced by a CSV upload on its page (views/value_maps.py), not on this form.
VALUE_MAP = Editable("ValueMap", "value map", ValueMap, "key", ValueMapForm, "valuemap-list", "valuemap-detail")


def _done_url(editable: Editable, obj: models.Model) -> str:
    key = getattr(obj, editable.lookup)
    return reverse(editable.detail, args=[key]) if editable.detail else reverse(editable.listing)


def _new(request: HttpRequest, editable: Editable, **initial: Any) -> HttpResponse:
    if not (is_admin(request.user) or (editable.owners_add and can_edit(request.user))):
        raise PermissionDenied(f"Only admins add a {editable.noun}.")
    return _form_page(request, editable, editable.model(**initial))


def _edit(request: HttpRequest, editable: Editable, key: str) -> HttpResponse:
    obj = editable.model._default_manager.filter(**{f"{editable.lookup}__iexact": key}).first()
    if obj is None:
        raise Http404(f"There is no {editable.noun} “{key}”.")
    if not can_edit(request.user, obj):
        raise PermissionDenied(
            f"Only an admin{' or its owner' if editable.owners_add else ''} may edit this {editable.noun}."
        )
    if reason := provenance.read_only_reason(editable.kind, getattr(obj, editable.lookup)):
        raise PermissionDenied(reason)
    return _form_page(request, editable, obj)


def _form_page(request: HttpRequest, editable: Editable, obj: models.Model) -> HttpResponse:
    creating = obj.pk is None
    before = None if creating else document_of(obj)
    form = editable.form(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        if creating and not is_admin(request.user) and not _names_self_as_owner(request.user, form):
            form.add_error(
                "owner", f"Name yourself as the owner, or you could not edit the {editable.noun} afterwards."
            )
        else:
            with transaction.atomic():
                saved = form.save()
                if isinstance(saved, GoLive):
                    _save_scope(saved, list(form.cleaned_data.get("integrations") or []))
                record = record_change(saved, before, actor=request.user, via=ChangeRecord.Via.PAGE)
            key = getattr(saved, editable.lookup)
            if record is None:
                messages.info(request, f"Nothing changed in {key}.")
            else:
                messages.success(request, f"{editable.noun.capitalize()} {key} {'added' if creating else 'saved'}.")
            return redirect(_done_url(editable, saved))
    context = {
        "form": form,
        "editable": editable,
        "object": obj,
        "creating": creating,
        "key": "" if creating else getattr(obj, editable.lookup),
        "list_url": reverse(editable.listing),
        "cancel_url": reverse(editable.listing) if creating else _done_url(editable, obj),
    }
    return render(request, "catalog/document_form.html", context, status=400 if form.errors else 200)


def _names_self_as_owner(user: Any, form: SpecForm) -> bool:
    owner = form.cleaned_data.get("owner")
    return owner is not None and owner.email.lower() == email_of(user)


def _save_scope(golive: GoLive, chosen: list[Any]) -> None:
    """The go-live's scope as chosen, in list order: rows kept (with their attestations), missing ones added."""
    wanted = {integration.pk: position for position, integration in enumerate(chosen)}
    golive.scope.exclude(integration_id__in=list(wanted)).delete()
    kept = {row.integration_id: row for row in golive.scope.all()}
    for row in kept.values():
        if row.position != wanted[row.integration_id]:
            row.position = wanted[row.integration_id]
            row.save(update_fields=["position"])
    GoLiveIntegration.objects.bulk_create(
        GoLiveIntegration(golive=golive, integration_id=pk, position=position)
        for pk, position in wanted.items()
        if pk not in kept
    )


@role_required
def system_new(request: HttpRequest) -> HttpResponse:
    return _new(request, SYSTEM)


@role_required
def data_object_new(request: HttpRequest) -> HttpResponse:
    # ?key= from the page of an object only integrations name: declaring it starts from its key.
    return _new(request, DATA_OBJECT, key=request.GET.get("key", "")[:100])


@role_required
def data_object_edit(request: HttpRequest, key: str) -> HttpResponse:
    return _edit(request, DATA_OBJECT, key)


@role_required
def person_new(request: HttpRequest) -> HttpResponse:
    return _new(request, PERSON)


@role_required
def person_edit(request: HttpRequest, email: str) -> HttpResponse:
    return _edit(request, PERSON, email)


@role_required
def account_new(request: HttpRequest) -> HttpResponse:
    return _new(request, ACCOUNT)


@role_required
def account_edit(request: HttpRequest, key: str) -> HttpResponse:
    return _edit(request, ACCOUNT, key)


@role_required
def golive_new(request: HttpRequest) -> HttpResponse:
    return _new(request, GO_LIVE)


@role_required
def value_map_new(request: HttpRequest) -> HttpResponse:
    return _new(request, VALUE_MAP)


@role_required
def value_map_edit(request: HttpRequest, key: str) -> HttpResponse:
    if not is_admin(request.user):
        raise PermissionDenied("Only admins edit a value map; its owner marks it reviewed and uploads its rows.")
    return _edit(request, VALUE_MAP, key)


@role_required
def golive_edit(request: HttpRequest, key: str) -> HttpResponse:
    return _edit(request, GO_LIVE, key)


ACCOUNT_COLUMNS = (
    Column("key", label="Account", sort="key", link=lambda a: reverse("account-edit", args=[a.key])),
    Column("platform", label="Platform", show="get_platform_display", sort="platform"),
    Column("base_url", label="API base URL"),
    Column("account_id", label="Account id"),
    Column("secret_env", label="Credential variable"),
    Column("integrations", "integration_count", label="Integrations monitored"),
)

account_list = read_only(
    role_required(
        ObjectListView(
            queryset=PlatformAccount.objects.annotate(integration_count=models.Count("integrations")).order_by("key"),
            filterset=PlatformAccountFilterSet,
            columns=ACCOUNT_COLUMNS,
            template="catalog/account_list.html",
            extra_context=lambda request: {"may_add": is_admin(request.user)},
        )
    )
)
