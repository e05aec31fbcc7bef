"""Uploading spec files (admins): a dry run first that shows what would change or every
error, then Apply re-posts the very content that was checked (signed, so it cannot be
swapped) and imports it with the user as actor. Files go through the importer's own reading
and limits, so an upload is refused exactly where import_specs would refuse it (status 400)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from catalog.forms import UploadForm
from catalog.models import ChangeRecord
from catalog.spec.importer import ImportFailed, ImportReport, decode_sources, import_sources
from plumbline.accounts.roles import admin_required

SALT = "plumbline.upload"
# How long a checked upload may wait for Apply; after that, check it again.
MAX_AGE_SECONDS = 60 * 60
LISTED = 500


def sign_sources(sources: list[tuple[str, str]]) -> str:
    return signing.dumps([list(pair) for pair in sources], salt=SALT, compress=True)


def unsign_sources(token: str) -> list[tuple[str, str]]:
    """The sources a dry run checked. Raises signing.BadSignature when tampered or expired."""
    return [(str(name), str(text)) for name, text in signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)]


def _report_context(report: ImportReport) -> dict[str, Any]:
    return {
        "report": report,
        "groups": [
            ("would be created", report.created[:LISTED], len(report.created)),
            ("would be updated", report.updated[:LISTED], len(report.updated)),
            ("unchanged", report.unchanged[:LISTED], len(report.unchanged)),
        ],
        "changes": bool(report.created or report.updated),
        "overwrites": report.overwrites[:LISTED],
    }


def _errors_context(failed: ImportFailed) -> dict[str, Any]:
    # A hostile file can hold a hundred thousand errors; the page lists the first LISTED.
    return {"errors": [str(error) for error in failed.errors[:LISTED]], "error_count": len(failed.errors)}


@admin_required
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and "apply" in request.POST:
        return _apply(request)
    if request.method != "POST":
        return render(request, "catalog/upload.html", {"form": UploadForm()})
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "catalog/upload.html", {"form": form}, status=400)
    contents = form.contents()
    context: dict[str, Any] = {"form": form, "names": [name for name, _ in contents]}
    try:
        sources = decode_sources(contents)
        report = import_sources(sources, dry_run=True)
    except ImportFailed as failed:
        context |= _errors_context(failed)
        return render(request, "catalog/upload.html", context, status=400)
    context |= _report_context(report)
    context["token"] = sign_sources(sources)
    return render(request, "catalog/upload.html", context)


def _apply(request: HttpRequest) -> HttpResponse:
    try:
        sources = unsign_sources(request.POST.get("apply", ""))
    except signing.BadSignature:
        messages.error(request, "That upload could not be applied: it expired or was altered. Upload the files again.")
        return redirect("upload")
    try:
        report = import_sources(sources, dry_run=False, actor=request.user, via=ChangeRecord.Via.IMPORT)
    except ImportFailed as failed:
        # The estate changed since the dry run (a reference was removed, say): nothing was written.
        context = {"form": UploadForm(), "names": [n for n, _ in sources], **_errors_context(failed)}
        return render(request, "catalog/upload.html", context, status=400)
    messages.success(request, f"Imported {', '.join(name for name, _ in sources)}: {report.summary()}.")
    for last in report.overwrites[:LISTED]:
        messages.warning(
            request, f"{last.kind} {last.key} was last {last.describe()}; the import replaced that change."
        )
    return redirect("upload")
