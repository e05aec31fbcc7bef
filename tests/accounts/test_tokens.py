"""API tokens: an HMAC digest in the database, expiry, read-only, throttled last use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from plumbline.accounts.models import Token
from plumbline.accounts.roles import assign_role
from plumbline.accounts.tokens import create_token, find_token, record_use

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    user = get_user_model().objects.create_user("ana@example.com", "ana@example.com", password=None)
    assign_role(user, "owner")
    return user


def client_with(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_the_raw_token_is_not_stored(owner):
    token, raw = create_token(owner)
    row = Token.objects.filter(pk=token.pk).values().get()
    assert all(raw not in str(value) for value in row.values())
    assert len(row["digest"]) == 64
    assert raw.startswith(row["prefix"]) and len(row["prefix"]) < len(raw) // 3


def test_find_token_matches_by_digest_only(owner):
    token, raw = create_token(owner)
    assert find_token(raw) == token
    assert find_token(raw + "x") is None
    assert find_token(token.digest) is None


def test_a_token_authenticates_api_requests(owner):
    _, raw = create_token(owner)
    response = client_with(raw).get("/api/v1/people/")
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token plb_not-a-real-token"])
def test_a_bad_token_header_is_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/people/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_expired_token_is_refused(owner):
    token, raw = create_token(owner, expires_days=1)
    assert client_with(raw).get("/api/v1/people/").status_code == 200
    Token.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client_with(raw).get("/api/v1/people/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Token has expired."


def test_a_token_of_an_inactive_user_is_refused(owner):
    _, raw = create_token(owner)
    owner.is_active = False
    owner.save()
    assert client_with(raw).get("/api/v1/people/").status_code == 401


def test_a_read_only_token_reads_but_never_writes(owner):
    assign_role(owner, "admin")
    _, raw = create_token(owner, read_only=True)
    client = client_with(raw)
    assert client.get("/api/v1/people/").status_code == 200
    response = client.post("/api/v1/people/", {"key": "new@example.com"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API token is read-only."


def test_the_token_acts_with_its_users_current_role(owner):
    _, raw = create_token(owner)
    assert client_with(raw).post("/api/v1/people/", {"key": "new@example.com"}, format="json").status_code == 403
    assign_role(owner, "admin")
    assert client_with(raw).post("/api/v1/people/", {"key": "new@example.com"}, format="json").status_code == 201


def test_last_use_is_written_at_most_once_a_minute(owner):
    token, _ = create_token(owner)
    start = timezone.now()
    assert record_use(token, start)
    assert not record_use(token, start + dt.timedelta(seconds=30))
    assert Token.objects.get().last_used_at == start
    later = start + dt.timedelta(seconds=61)
    assert record_use(token, later)
    assert Token.objects.get().last_used_at == later


def test_requests_within_a_minute_write_last_use_once(owner):
    _, raw = create_token(owner)
    client = client_with(raw)
    client.get("/api/v1/people/")
    first = Token.objects.get().last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v1/people/")
    assert not [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert Token.objects.get().last_used_at == first


def test_two_workers_holding_a_stale_copy_write_last_use_once(owner):
    token, raw = create_token(owner)
    first_copy, second_copy = find_token(raw), find_token(raw)
    now = timezone.now()
    assert record_use(first_copy, now)
    # The second copy was loaded before the first write: only the conditional UPDATE stops it.
    assert not record_use(second_copy, now + dt.timedelta(seconds=1))
    assert Token.objects.get(pk=token.pk).last_used_at == now
