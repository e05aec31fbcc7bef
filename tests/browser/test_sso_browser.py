"""Single sign-on in a real browser, against the real web server (gunicorn) started with the
variables an operator would set and local passwords off: the login page offers only "Sign in with
…", the click goes through the stand-in provider and lands on the dashboard signed in as the
person; logging out goes through the provider's logout (the page's form-action allows its origin)
and back to the login page; a page asked for while signed out is reached after signing in again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plumbline.accounts.roles import role_of
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, stand_in_provider
from tests.pages.estate import load_estate
from tests.web_server import web_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_the_provider_reaches_the_dashboard_and_logout_ends_both_sessions(page, screenshot):
    from django.contrib.auth import get_user_model

    load_estate()
    with stand_in_provider() as idp:
        env = {
            "OIDC_ISSUER": idp.url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "PLUMBLINE_OIDC_PROVIDER_NAME": "Stand-in ID",
            "PLUMBLINE_OIDC_ROLES": "erp-owners=owner,finance=viewer",
            "PLUMBLINE_LOCAL_PASSWORDS": "false",
        }
        with web_server(**env) as base:
            idp.will_sign_in("ana.lopez@example.com", groups=["erp-owners"])
            page.goto(f"{base}/login/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Plumbline")
            expect(page.get_by_label("Password")).to_have_count(0)
            screenshot("sso-login")

            page.get_by_role("link", name="Sign in with Stand-in ID").click()
            page.wait_for_url(f"{base}/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Integration estate")
            expect(page.locator(".whoami")).to_have_text("ana.lopez@example.com")
            screenshot("sso-dashboard")

            page.get_by_role("button", name="Log out").click()
            page.wait_for_url(f"{base}/login/")
            assert [entry["post_logout_redirect_uri"] for entry in idp.logouts] == [f"{base}/login/"]
            assert idp.logouts[0]["id_token_hint"].count(".") == 2  # the ID token, as a JWT

            # Signed out, a page asked for sends to the login page, and signing in again lands on it.
            page.goto(f"{base}/integrations/")
            page.wait_for_url(f"{base}/login/?next=/integrations/")
            page.get_by_role("link", name="Sign in with Stand-in ID").click()
            page.wait_for_url(f"{base}/integrations/")
            expect(page.get_by_role("link", name="Chargebee invoices to NetSuite")).to_be_visible()

    user = get_user_model().objects.get()
    assert (user.username, role_of(user)) == ("ana.lopez@example.com", "owner")
