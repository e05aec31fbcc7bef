"""The estate dashboard at /."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.models import Integration, System


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    integrations = Integration.objects.all()
    by_lifecycle = integrations.values("lifecycle").annotate(n=Count("id")).order_by("lifecycle")
    by_connector = integrations.values("connector_type").annotate(n=Count("id")).order_by("connector_type")
    totals = integrations.aggregate(n=Count("id"), score=Avg("completeness_score"))
    context = {
        "integration_count": totals["n"],
        "system_count": System.objects.count(),
        "complete_count": integrations.filter(completeness_missing="").count(),
        "average_completeness": round((totals["score"] or 0) * 100),
        "by_lifecycle": list(by_lifecycle),
        "by_connector": list(by_connector),
    }
    return render(request, "catalog/dashboard.html", context)
