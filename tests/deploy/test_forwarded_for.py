"""Behind nginx every request reaches gunicorn from 127.0.0.1: with PLUMBLINE_PROXIES=1 the client is the
address nginx appended to X-Forwarded-For, so one client's failed logins lock out that client, not all."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from plumbline.proxy import client_address

PASSWORD = "correct-horse-battery"
NGINX = "127.0.0.1"


def test_behind_one_proxy_the_client_is_the_address_it_appended():
    assert client_address(NGINX, "203.0.113.9", 1) == "203.0.113.9"


def test_what_the_client_wrote_before_the_proxy_is_not_believed():
    assert client_address(NGINX, "10.0.0.1, 198.51.100.4, 203.0.113.9", 1) == "203.0.113.9"


def test_behind_two_proxies_the_client_is_what_the_outer_one_appended():
    assert client_address(NGINX, "10.0.0.1, 203.0.113.9, 10.20.0.2", 2) == "203.0.113.9"


def test_without_proxies_the_header_is_ignored():
    assert client_address("203.0.113.9", "10.0.0.1", 0) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", ["", " , ", "not-an-address"])
def test_a_request_that_bypassed_the_proxy_or_a_garbled_entry_keeps_remote_addr(forwarded):
    assert client_address(NGINX, forwarded, 1) == NGINX


def test_ipv6_clients_are_read_too():
    assert client_address(NGINX, "2001:db8::7", 1) == "2001:db8::7"


def login(client, email: str, password: str, forwarded_for: str):
    data = {"username": email, "password": password}
    return client.post("/login/", data, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=forwarded_for)


@pytest.mark.django_db
def test_behind_nginx_one_clients_failures_do_not_lock_out_another(client, settings):
    settings.PLUMBLINE_PROXIES = 1
    get_user_model().objects.create_user("ana@example.com", "ana@example.com", PASSWORD)
    for n in range(30):
        assert login(client, f"user{n}@example.com", "wrong", "203.0.113.9").status_code == 200
    assert login(client, "ana@example.com", PASSWORD, "203.0.113.9").status_code == 429
    assert login(client, "ana@example.com", PASSWORD, "198.51.100.4").status_code == 302


@pytest.mark.django_db
def test_without_the_setting_every_client_behind_nginx_counts_as_one(client, settings):
    """What PLUMBLINE_PROXIES=1 is for: the same failures from 127.0.0.1 shut the door on everyone."""
    settings.PLUMBLINE_PROXIES = 0
    get_user_model().objects.create_user("ana@example.com", "ana@example.com", PASSWORD)
    for n in range(30):
        login(client, f"user{n}@example.com", "wrong", "203.0.113.9")
    assert login(client, "ana@example.com", PASSWORD, "198.51.100.4").status_code == 429
