"""/connections/observed/: what platform discovery found running, or heartbeats pinged, that no spec describes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from monitoring.health.readers import undocumented
from plumbline.accounts.roles import role_required
from plumbline.http import read_only


@read_only
@role_required
def observed_connections(request: HttpRequest) -> HttpResponse:
    connections = undocumented().order_by("account__key", "name", "ref")
    return render(request, "monitoring/observed.html", {"connections": connections})
