from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.pages.estate import load_estate, make_user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # Six users per test: the production hasher would make the suite crawl.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def estate(db: Any) -> None:
    load_estate()


@pytest.fixture
def users(db: Any) -> dict[str, Any]:
    """One user per role: ana owns chargebee-invoices-to-netsuite, sam owns the Shopify
    integration and backs up the Chargebee one, olivia owns nothing."""
    return {
        "viewer": make_user("viewer@example.com", "viewer"),
        "owner": make_user("ana.lopez@example.com", "owner"),
        "backup": make_user("sam.ortiz@example.com", "owner"),
        "other_owner": make_user("olivia.other@example.com", "owner"),
        "admin": make_user("admin@example.com", "admin"),
        "no_role": make_user("norole@example.com", None),
    }


@pytest.fixture
def client_for(users: dict[str, Any]) -> Any:
    def login(who: str | None) -> Client:
        client = Client()
        if who is not None:
            client.force_login(users[who])
        return client

    return login
