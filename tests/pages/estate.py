"""A small estate for page tests, imported through the real importer."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from catalog.models import Integration, System
from catalog.spec.importer import import_sources
from plumbline.accounts.roles import assign_role

PASSWORD = "correct-horse-battery-staple"

ESTATE = """
apiVersion: plumbline/v1
kind: Person
key: ana.lopez@example.com
name: Ana Lopez
team: Finance Systems
---
apiVersion: plumbline/v1
kind: Person
key: sam.ortiz@example.com
name: Sam Ortiz
team: Accounts Receivable
manager: ana.lopez@example.com
---
apiVersion: plumbline/v1
kind: System
key: netsuite
name: NetSuite
category: erp
version: "2026.2"
owner: ana.lopez@example.com
---
apiVersion: plumbline/v1
kind: System
key: chargebee
name: Chargebee
category: billing
owner: sam.ortiz@example.com
---
apiVersion: plumbline/v1
kind: System
key: shopify
name: Shopify
category: ecommerce
---
apiVersion: plumbline/v1
kind: Integration
key: chargebee-invoices-to-netsuite
name: Chargebee invoices to NetSuite
source: chargebee
target: netsuite
data_objects: [invoice]
lifecycle: live
connector: {type: ipaas, platform: celigo, maintained_by: ipaas-vendor, compatibility_sla_days: 30}
sync: {trigger: schedule, interval_minutes: 15}
error_handling: {surface: alert, notify: [ana.lopez@example.com], resync: replay-in-order}
owner: ana.lopez@example.com
backup_owner: sam.ortiz@example.com
reviewed_at: 2026-09-01
mappings:
  - {source: invoice.id, target: invoice.externalId, required: true}
  - {source: invoice.total, target: invoice.amount, transform: cents-to-decimal}
---
apiVersion: plumbline/v1
kind: Integration
key: shopify-orders-to-netsuite
name: Shopify orders to NetSuite
source: shopify
target: netsuite
lifecycle: building
phase: phase-two
connector: {type: custom-api}
owner: sam.ortiz@example.com
workaround: {description: Daily CSV export, performed_by: sam.ortiz@example.com, hours_per_month: 6}
"""


def load_estate() -> None:
    import_sources([("estate.yaml", ESTATE)])


def make_user(email: str, role: str | None) -> object:
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    if role is not None:
        assign_role(user, role)
    return user


def bulk_integrations(count: int, *, prefix: str = "bulk") -> None:
    """`count` integrations between two systems, with an owner, written by bulk_create."""
    source, _ = System.objects.get_or_create(key=f"{prefix}-source")
    target, _ = System.objects.get_or_create(key=f"{prefix}-target")
    Integration.objects.bulk_create(
        Integration(key=f"{prefix}-{n:05d}", name=f"Bulk {n}", source=source, target=target) for n in range(count)
    )
