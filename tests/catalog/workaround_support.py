"""Builders shared by the workaround tests (no tests here): a stored phase-two integration whose
workaround runs every day at 09:00 UTC, its people, and signed-in clients for each role."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from catalog.models import Integration, Person
from tests.pages.estate import make_user

OWNER = "ana.lopez@example.com"
PERFORMER = "sam.ortiz@example.com"
OTHER_OWNER = "raj.patel@example.com"
VIEWER = "viewer@example.com"
ADMIN = "admin@example.com"


def deferred_integration(key: str = "chargebee-invoices-to-netsuite", every: str = "0 9 * * *", **fields: object):
    owner, _ = Person.objects.get_or_create(email=OWNER, defaults={"name": "Ana Lopez"})
    performer, _ = Person.objects.get_or_create(email=PERFORMER, defaults={"name": "Sam Ortiz"})
    values: dict[str, object] = {
        "name": "Chargebee invoices to NetSuite",
        "lifecycle": "planned",
        "phase": "phase-two",
        "owner": owner,
        "deferred_since": timezone.localdate() - dt.timedelta(days=60),
        "workaround_description": "Daily CSV export from Chargebee, loaded into NetSuite",
        "workaround_performed_by": performer,
        "workaround_hours_per_month": 6,
        "workaround_every": every,
        "build_estimate_hours": 40,
    }
    values.update(fields)
    return Integration.objects.create(key=key, **values)


def client_as(email: str, role: str | None) -> Client:
    client = Client()
    client.force_login(make_user(email, role))  # type: ignore[arg-type]
    return client
