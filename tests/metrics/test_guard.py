"""/metrics is for the scraper only: off unless configured, a bearer token and/or the scraper's
addresses, and a refusal shows no metric."""

from __future__ import annotations

import pytest
from django.test import Client

from plumbline.metrics.view import address_allowed
from tests.metrics.scrape import TOKEN

pytestmark = pytest.mark.django_db


def get(token: str | None = None, address: str = "127.0.0.1", method: str = "get"):
    client = Client(REMOTE_ADDR=address)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return getattr(client, method)("/metrics", **headers)


def shows_no_metric(response) -> bool:
    return b"plumbline_" not in response.content and b"# TYPE" not in response.content


def test_with_neither_token_nor_allowlist_metrics_are_off(settings):
    settings.PLUMBLINE_METRICS_TOKEN = ""
    response = get(TOKEN)
    assert response.status_code == 404
    assert shows_no_metric(response)


def test_the_right_bearer_token_reads_the_metrics():
    response = get(TOKEN)
    assert response.status_code == 200
    assert b"# TYPE plumbline_pings_accepted_total counter" in response.content


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN[:-1], TOKEN + "x"])
def test_a_missing_or_wrong_token_is_401_without_metrics(token):
    response = get(token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert shows_no_metric(response)


def test_the_token_is_only_taken_as_a_bearer_token():
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}")
    assert response.status_code == 401
    assert shows_no_metric(response)


def test_a_signed_in_admin_without_the_token_reads_nothing(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    response = client.get("/metrics")
    assert response.status_code == 401
    assert shows_no_metric(response)


def test_an_allowlist_alone_lets_its_addresses_in_without_a_token(settings):
    settings.PLUMBLINE_METRICS_TOKEN = ""
    settings.PLUMBLINE_METRICS_ALLOW = ["10.0.0.0/24", "192.0.2.7"]
    assert get(address="10.0.0.42").status_code == 200
    assert get(address="192.0.2.7").status_code == 200
    refused = get(address="10.0.1.1")
    assert refused.status_code == 403
    assert shows_no_metric(refused)
    assert get(address="192.0.2.8").status_code == 403


def test_with_both_the_address_and_the_token_must_hold(settings):
    settings.PLUMBLINE_METRICS_ALLOW = ["127.0.0.1"]
    assert get(TOKEN).status_code == 200
    assert get("wrong").status_code == 401
    outside = get(TOKEN, address="203.0.113.9")
    assert outside.status_code == 403
    assert shows_no_metric(outside)


def test_only_get_and_head_are_answered():
    response = get(TOKEN, method="post")
    assert response.status_code == 405
    assert shows_no_metric(response)


def test_an_ipv4_peer_on_a_dual_stack_socket_is_matched_as_ipv4():
    assert address_allowed("::ffff:10.0.0.5", ["10.0.0.0/24"])
    assert not address_allowed("::ffff:10.0.1.5", ["10.0.0.0/24"])
    assert not address_allowed("not-an-address", ["0.0.0.0/0"])
    assert address_allowed("2001:db8::1", ["2001:db8::/32"])


def test_a_malformed_allowlist_stops_start_up_naming_the_entry():
    import os
    import subprocess
    import sys

    from tests.celery_worker import ROOT

    env = {**os.environ, "PLUMBLINE_METRICS_ALLOW": "10.0.0.0/24,10.0.0.300"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "PLUMBLINE_METRICS_ALLOW: '10.0.0.300' is not an address or network" in result.stderr
