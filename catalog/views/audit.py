"""/audit/ (admins): the audit trail for an auditor's file. A short form (period, kind) and two
downloads: changes.csv (the change log, as /api/v1/changes/?format=csv) and signoffs.csv (every
sign-off, attestation, review, waiver, workaround confirmation and "still accurate" review), with
how many rows each will hold for the chosen period."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from catalog import audit
from catalog.models import ChangeRecord
from catalog.spec.schema import KINDS
from plumbline.accounts.roles import admin_required
from plumbline.http import read_only

DEFAULT_DAYS = 90  # the period the page opens on: the last 90 days


def kind_choices() -> list[tuple[str, str]]:
    """Every document kind, and any other kind the log holds (maintenance windows): one query."""
    logged = set(ChangeRecord.objects.order_by().values_list("kind", flat=True).distinct())
    return [("", "Every kind"), *((kind, kind) for kind in sorted(set(KINDS) | logged))]


class AuditForm(forms.Form):
    since = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Kind", required=False)

    def __init__(self, data: Any, today: dt.date) -> None:
        since = today - dt.timedelta(days=DEFAULT_DAYS)
        super().__init__({"since": since.isoformat(), "until": today.isoformat(), "kind": "", **data})
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = kind_choices()
        self.unknown = sorted(set(data) - set(self.fields))

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        for name in self.unknown:
            self.add_error(None, f"unknown parameter {name} (known: kind, since, until)")
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "must be on or after From")
        return cleaned

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """[start of From, start of the day after To) in the site's time zone."""
        zone = timezone.get_current_timezone()
        since, until = self.cleaned_data["since"], self.cleaned_data["until"] + dt.timedelta(days=1)
        return (dt.datetime.combine(since, dt.time(), tzinfo=zone), dt.datetime.combine(until, dt.time(), tzinfo=zone))


def _form(request: HttpRequest) -> AuditForm:
    return AuditForm(request.GET.dict(), timezone.localdate())


def _changes(form: AuditForm) -> QuerySet[ChangeRecord]:
    since, until = form.period()
    records = audit.in_period(audit.change_log(), since, until)
    kind = form.cleaned_data["kind"]
    return records.filter(kind=kind) if kind else records


def _signoffs(form: AuditForm) -> list[audit.SignOffRow]:
    since, until = form.period()
    return audit.signoff_rows(since, until, form.cleaned_data["kind"])


def _refused(form: AuditForm) -> HttpResponse:
    errors = "; ".join(f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in form.errors.items())
    return HttpResponse(f"Nothing to download: {errors}", status=400, content_type="text/plain; charset=utf-8")


@read_only
@admin_required
def audit_page(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        records = _changes(form)
        signoffs = _signoffs(form)
        context |= {
            "query": request.GET.urlencode() or "",
            "change_count": records.count(),
            "change_rows": audit.change_row_count(records),
            "signoff_rows": len(signoffs),
            "signoff_counts": sorted(Counter(row.record for row in signoffs).items()),
            "since": form.cleaned_data["since"],
            "until": form.cleaned_data["until"],
            "kind": form.cleaned_data["kind"],
        }
    return render(request, "catalog/audit.html", context, status=200 if form.is_valid() else 400)


@read_only
@admin_required
def audit_changes_csv(request: HttpRequest) -> Any:  # a StreamingHttpResponse, or a 400
    form = _form(request)
    if not form.is_valid():
        return _refused(form)
    return audit.streamed_csv("changes.csv", audit.CHANGE_HEADER, audit.change_rows(_changes(form)))


@read_only
@admin_required
def audit_signoffs_csv(request: HttpRequest) -> Any:  # a StreamingHttpResponse, or a 400
    form = _form(request)
    if not form.is_valid():
        return _refused(form)
    return audit.streamed_csv("signoffs.csv", audit.SIGNOFF_HEADER, (row.cells() for row in _signoffs(form)))
