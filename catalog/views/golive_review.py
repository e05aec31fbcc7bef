"""/golives/<key>/review/: the post-go-live review of a signed-off go-live (what is still deferred,
the workarounds still running, the failures since go-live, the specs changed since sign-off), and
the approver's signature on it. Others read it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog.models import GoLive
from catalog.readiness.actions import submit_review_sign_off
from catalog.readiness.forms import ReviewSignOffForm
from catalog.readiness.records import may_sign_off
from catalog.readiness.review import GoLiveReview, load_review
from plumbline.accounts.roles import role_required
from plumbline.http import read_only


def _golive(key: str) -> GoLive:
    return get_object_or_404(GoLive.objects.select_related("approver"), key=key)


def _page(
    request: HttpRequest, review: GoLiveReview, form: ReviewSignOffForm | None = None, status: int = 200
) -> HttpResponse:
    can_sign = may_sign_off(request.user, review.golive) and review.signoff is not None
    context = {
        "golive": review.golive,
        "review": review,
        "form": (form or ReviewSignOffForm()) if can_sign else None,
    }
    return render(request, "catalog/golive_review.html", context, status=status)


@read_only
@role_required
def golive_review(request: HttpRequest, key: str) -> HttpResponse:
    golive = _golive(key)
    if unknown := sorted(request.GET):
        errors = [f"Unknown parameter {name!r}: this page takes none." for name in unknown]
        return render(request, "catalog/golive_review.html", {"golive": golive, "errors": errors}, status=400)
    return _page(request, load_review(golive))


@role_required
@require_POST
def golive_review_sign_off(request: HttpRequest, key: str) -> HttpResponse:
    golive = _golive(key)
    review = load_review(golive)
    signature, form = submit_review_sign_off(golive, review, request.user, request.POST)
    if signature is None:
        return _page(request, review, form, status=400)
    messages.success(request, f"The post-go-live review of {golive} is signed.")
    return redirect("golive-review", key=golive.key)
