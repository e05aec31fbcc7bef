"""/me/weekly-email/: each user turns their own weekly "what changed" email on or off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from catalog.models import WeeklyEmail, WeeklySubscription
from plumbline.accounts.roles import role_required

CHOICES = {"on": True, "off": False}


def subscription_context(user: Any) -> dict[str, Any]:
    """What /me/ shows of the weekly email: on or off, and the last one sent (two queries)."""
    return {
        "weekly_subscribed": WeeklySubscription.objects.filter(user=user).exists(),
        "weekly_last": WeeklyEmail.objects.filter(user=user, sent_at__isnull=False).order_by("-week_start").first(),
    }


@role_required
@require_POST
def weekly_email(request: HttpRequest) -> HttpResponse:
    """Turn the weekly email on (`subscribed=on`) or off (`off`) for the logged-in user, only them."""
    wanted = CHOICES.get(request.POST.get("subscribed", ""))
    user_id = request.user.pk
    assert user_id is not None  # role_required let only a logged-in user in
    if wanted is None:
        return HttpResponseBadRequest("subscribed: must be on or off.", content_type="text/plain; charset=utf-8")
    if wanted:
        WeeklySubscription.objects.get_or_create(user_id=user_id)
        messages.success(request, "The weekly “what changed” email is on: it comes on Monday mornings.")
    else:
        WeeklySubscription.objects.filter(user_id=user_id).delete()
        messages.success(request, "The weekly “what changed” email is off.")
    return redirect("me")
