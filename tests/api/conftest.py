"""A small estate and one user per role, shared by the API tests."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from catalog.models import ChangeRecord
from catalog.spec.exporter import iter_documents
from catalog.spec.importer import import_sources
from plumbline.accounts.roles import assign_role
from plumbline.accounts.tokens import create_token

OWNER_EMAIL = "ana.lopez@example.com"

ESTATE = """
apiVersion: plumbline/v1
kind: Person
key: ana.lopez@example.com
name: Ana Lopez
team: Finance Systems
---
apiVersion: plumbline/v1
kind: Person
key: raj.patel@example.com
name: Raj Patel
team: IT
---
apiVersion: plumbline/v1
kind: Person
key: sam.ortiz@example.com
name: Sam Ortiz
team: Accounts Receivable
---
apiVersion: plumbline/v1
kind: Person
key: spare@example.com
name: Nobody References Me
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
category: billing
owner: raj.patel@example.com
---
apiVersion: plumbline/v1
kind: System
key: salesforce
category: crm
owner: raj.patel@example.com
---
apiVersion: plumbline/v1
kind: System
key: shopify
category: ecommerce
owner: sam.ortiz@example.com
---
apiVersion: plumbline/v1
kind: System
key: ana-spare
owner: ana.lopez@example.com
---
apiVersion: plumbline/v1
kind: System
key: raj-spare
owner: raj.patel@example.com
---
apiVersion: plumbline/v1
kind: PlatformAccount
key: celigo-prod
platform: celigo
base_url: https://api.integrator.io
secret_env: PLUMBLINE_CRED_CELIGO_PROD
---
apiVersion: plumbline/v1
kind: PlatformAccount
key: spare-account
platform: boomi
base_url: https://api.boomi.com
secret_env: PLUMBLINE_CRED_BOOMI_SPARE
---
apiVersion: plumbline/v1
kind: Integration
key: chargebee-invoices-to-netsuite
name: Chargebee invoices to NetSuite
description: Posts billing invoices to the ledger
source: chargebee
target: netsuite
data_objects: [invoice]
lifecycle: live
phase: go-live
connector: {type: ipaas, platform: celigo, maintained_by: ipaas-vendor, compatibility_sla_days: 30}
sync: {trigger: schedule, interval_minutes: 15}
error_handling: {surface: alert, notify: [ana.lopez@example.com], resync: replay-in-order}
owner: ana.lopez@example.com
backup_owner: raj.patel@example.com
reviewed_at: 2026-09-01
mappings:
  - {source: invoice.id, target: invoice.externalId, required: true}
health: {kind: celigo, account: celigo-prod, ref: flow-1}
---
apiVersion: plumbline/v1
kind: Integration
key: salesforce-customers-to-netsuite
name: Salesforce accounts to NetSuite customers
source: salesforce
target: netsuite
lifecycle: building
connector: {type: native, maintained_by: target-vendor, compatibility_sla_days: 14}
sync: {trigger: polling, interval_minutes: 60}
owner: raj.patel@example.com
backup_owner: ana.lopez@example.com
reviewed_at: 2025-01-15
---
apiVersion: plumbline/v1
kind: Integration
key: shopify-orders-to-chargebee
name: Shopify orders to Chargebee
source: shopify
target: chargebee
phase: phase-two
deferred_since: 2026-03-01
connector: {type: custom-api}
owner: sam.ortiz@example.com
---
apiVersion: plumbline/v1
kind: ValueMap
key: coa-chargebee-to-netsuite
name: Chart of accounts
owner: ana.lopez@example.com
reviewed_at: 2026-10-01
rows: [{source: 4000, target: "40100"}, {source: "4010", target: "40110"}]
---
apiVersion: plumbline/v1
kind: ValueMap
key: tax-codes
owner: raj.patel@example.com
rows: [{source: CA, target: TX-CA}]
---
apiVersion: plumbline/v1
kind: GoLive
key: netsuite-go-live
name: NetSuite go-live
date: 2027-01-04
approver: raj.patel@example.com
integrations: [chargebee-invoices-to-netsuite]
---
apiVersion: plumbline/v1
kind: DataObject
key: customer
name: Customer
master: salesforce
owner: ana.lopez@example.com
---
apiVersion: plumbline/v1
kind: DataObject
key: vendor
name: Vendor
master: netsuite
owner: raj.patel@example.com
"""

# An integration the owner user owns, one they back up, one that is none of theirs.
OWN_INTEGRATION = "chargebee-invoices-to-netsuite"
BACKED_UP_INTEGRATION = "salesforce-customers-to-netsuite"
OTHER_INTEGRATION = "shopify-orders-to-chargebee"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Throttle and login counters live in the cache, which outlives a test's transaction.
    cache.clear()


@pytest.fixture
def estate(db: Any) -> None:
    import_sources([("estate.yaml", textwrap.dedent(ESTATE))])


def make_user(email: str, role: str | None) -> Any:
    user = get_user_model().objects.create_user(email, email, password=None)  # no hashing: fast
    if role:
        assign_role(user, role)
    return user


@pytest.fixture
def users(db: Any) -> dict[str, Any]:
    return {
        "no_role": make_user("norole@example.com", None),
        "viewer": make_user("viewer@example.com", "viewer"),
        "owner": make_user(OWNER_EMAIL, "owner"),
        "admin": make_user("admin@example.com", "admin"),
    }


def client_for(actor: str, users: dict[str, Any]) -> APIClient:
    """An API client for: anonymous, a role by session, or an admin's (read-only) token."""
    client = APIClient()
    if actor == "anonymous":
        return client
    if actor in ("read_only_token", "owner_token"):
        user = users["admin"] if actor == "read_only_token" else users["owner"]
        _, raw = create_token(user, read_only=actor == "read_only_token")
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client
    client.force_login(users[actor])
    return client


@pytest.fixture
def api(users: dict[str, Any]) -> Any:
    return lambda actor: client_for(actor, users)


def estate_state() -> tuple[list[Any], int]:
    """Every stored document and the number of change records: equal means nothing changed."""
    return list(iter_documents()), ChangeRecord.objects.count()
