"""Login is rate limited per email and address (five failures, then a clear refusal), per address
across emails (one machine spraying many accounts) and per email across addresses (many machines
guessing one password)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def ana(db):
    return get_user_model().objects.create_user("ana@example.com", "ana@example.com", PASSWORD)


def login(client, email: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def test_a_correct_login_redirects(client, ana):
    assert login(client, "ana@example.com", PASSWORD).status_code == 302


def test_after_five_failures_even_the_right_password_is_refused(client, ana):
    for _ in range(5):
        response = login(client, "ana@example.com", "wrong")
        assert response.status_code == 200
        assert "do not match" in response.content.decode()
    response = login(client, "ana@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_limit_is_per_email_and_address(client, ana):
    for _ in range(5):
        login(client, "ana@example.com", "wrong")
    assert login(client, "ana@example.com", PASSWORD, address="10.0.0.2").status_code == 302
    assert login(client, "other@example.com", "wrong").status_code == 200


def test_a_successful_login_clears_earlier_failures(client, ana):
    for _ in range(4):
        login(client, "ana@example.com", "wrong")
    assert login(client, "ana@example.com", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, "ana@example.com", "wrong").status_code == 200
    assert login(client, "ana@example.com", PASSWORD).status_code == 302


def test_the_email_is_matched_case_insensitively(client, ana):
    for _ in range(5):
        login(client, "ANA@example.com", "wrong")
    assert login(client, "ana@example.com", PASSWORD).status_code == 429


def test_one_address_trying_many_emails_is_refused_after_thirty_failures(client, ana):
    for n in range(30):
        assert login(client, f"user{n}@example.com", "wrong").status_code == 200
    response = login(client, "ana@example.com", PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # Another machine is not affected.
    assert login(client, "ana@example.com", PASSWORD, address="10.0.0.9").status_code == 302


def test_one_email_guessed_from_many_addresses_is_refused_after_twenty_failures(client, ana):
    for n in range(20):
        assert login(client, "ana@example.com", "wrong", address=f"10.0.1.{n}").status_code == 200
    assert login(client, "ana@example.com", PASSWORD, address="10.0.2.1").status_code == 429
    assert login(client, "other@example.com", "wrong", address="10.0.2.1").status_code == 200
