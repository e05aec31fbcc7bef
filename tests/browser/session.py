"""Logging in through the real login page, as every browser test starts."""

from __future__ import annotations

from typing import Any

from tests.pages.estate import PASSWORD


def log_in(page: Any, base: str, email: str, next_url: str) -> None:
    page.goto(f"{base}/login/?next={next_url}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{next_url}")
