"""Single sign-on walked through for real: Django's test client starts at /login/sso/, the stand-in
provider (a real HTTP server) answers /authorize, and the callback's backend calls /token, /jwks and
/userinfo over HTTP. First sign-in creates the user with the mapped role, a changed group changes
it, a spoiled ID token or an unmapped user is refused with no session and no user, and logout ends
the provider's session too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils.html import escape

from plumbline.accounts.oidc import provider as discovery
from plumbline.accounts.roles import role_of
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, StandInProvider, new_key, stand_in_provider
from tests.pages.estate import load_estate

pytestmark = pytest.mark.django_db

ROLES = {"plumbline-admins": "admin", "erp-owners": "owner", "finance": "viewer"}


def configure(settings, provider: StandInProvider) -> None:
    settings.OIDC_ISSUER = provider.url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.PLUMBLINE_OIDC_PROVIDER_NAME = "Stand-in ID"
    settings.PLUMBLINE_OIDC_ROLES = ROLES
    settings.PLUMBLINE_OIDC_DEFAULT_ROLE = None


@pytest.fixture
def idp(settings) -> Iterator[StandInProvider]:
    with stand_in_provider() as provider:
        configure(settings, provider)
        discovery.forget()
        yield provider
    discovery.forget()


def sign_in(client, idp: StandInProvider, next_url: str = "/"):
    """Start, follow the provider's redirect over real HTTP, and come back to the callback."""
    start = client.get("/login/sso/", {"next": next_url})
    assert start.status_code == 302
    assert start["Location"].startswith(f"{idp.url}/authorize?")
    asked = parse_qs(urlsplit(start["Location"]).query)
    assert asked["client_id"] == [CLIENT_ID] and asked["code_challenge_method"] == ["S256"]
    assert asked["state"][0] and asked["nonce"][0]
    back = requests.get(start["Location"], allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/login/sso/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def users() -> list[str]:
    return list(get_user_model().objects.values_list("username", flat=True))


def refusal(client, response) -> str:
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    page = client.get("/login/").content.decode()
    return page


def test_first_sign_in_creates_the_user_with_the_role_their_group_maps_to(client, idp):
    idp.will_sign_in("Rita.Owner@Example.com", groups=["erp-owners", "unrelated"])
    response = sign_in(client, idp, next_url="/integrations/")
    assert response.status_code == 302 and response["Location"] == "/integrations/"
    user = get_user_model().objects.get()
    assert (user.username, user.email, role_of(user)) == ("rita.owner@example.com", "rita.owner@example.com", "owner")
    assert not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/integrations/").status_code == 200


def test_the_highest_role_of_several_groups_wins(client, idp):
    idp.will_sign_in("boss@example.com", groups=["finance", "plumbline-admins", "erp-owners"])
    sign_in(client, idp)
    user = get_user_model().objects.get()
    assert role_of(user) == "admin" and user.is_staff and user.is_superuser


def test_a_changed_group_changes_the_role_at_the_next_sign_in(client, idp):
    idp.will_sign_in("rita@example.com", groups=["erp-owners"])
    sign_in(client, idp)
    assert role_of(get_user_model().objects.get()) == "owner"
    client.post("/logout/")

    idp.will_sign_in("rita@example.com", groups=["finance"])
    sign_in(client, idp)
    user = get_user_model().objects.get()
    assert role_of(user) == "viewer" and not user.is_staff
    assert users() == ["rita@example.com"]


def test_an_existing_user_is_matched_by_email_not_duplicated(client, idp):
    existing = get_user_model().objects.create_user("sam@example.com", "sam@example.com", "some-long-password")
    idp.will_sign_in("SAM@example.com", groups=["finance"])
    sign_in(client, idp)
    assert int(client.session["_auth_user_id"]) == existing.pk
    assert users() == ["sam@example.com"]


def test_the_signed_in_user_is_their_person_and_sees_their_specs_on_me(client, idp):
    load_estate()
    idp.will_sign_in("ana.lopez@example.com", groups=["erp-owners"])
    sign_in(client, idp)
    page = client.get("/me/").content.decode()
    assert "My specs: Ana" in page
    assert "Chargebee invoices to NetSuite" in page  # she owns it
    assert "Shopify orders to NetSuite" not in page  # Sam's


def test_a_user_in_no_mapped_group_is_refused_with_the_reason(client, idp):
    idp.will_sign_in("stranger@example.com", groups=["marketing"])
    page = refusal(client, sign_in(client, idp))
    assert "Sign-in with Stand-in ID was refused: stranger@example.com is in no group that gives a Plumbline role" in (
        page
    )
    assert users() == []


def test_a_default_role_lets_in_a_user_in_no_mapped_group(client, idp, settings):
    settings.PLUMBLINE_OIDC_DEFAULT_ROLE = "viewer"
    idp.will_sign_in("stranger@example.com")
    sign_in(client, idp)
    assert role_of(get_user_model().objects.get()) == "viewer"


def test_losing_every_mapped_group_takes_the_role_away_api_tokens_included(client, idp):
    from plumbline.accounts.tokens import create_token

    idp.will_sign_in("rita@example.com", groups=["plumbline-admins"])
    sign_in(client, idp)
    client.post("/logout/")
    user = get_user_model().objects.get()
    _, raw = create_token(user)
    assert client.get("/api/v1/integrations/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 200

    idp.will_sign_in("rita@example.com", groups=[])
    refusal(client, sign_in(client, idp))
    user = get_user_model().objects.get()
    assert (role_of(user), user.is_staff, user.is_superuser) == (None, False, False)
    assert client.get("/api/v1/integrations/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 403


def test_a_next_address_on_another_site_is_ignored(client, idp):
    idp.will_sign_in("rita@example.com", groups=["finance"])
    assert sign_in(client, idp, next_url="https://evil.example/")["Location"] == "/"


def test_an_unverified_email_is_refused(client, idp):
    idp.will_sign_in("rita@example.com", groups=["finance"], email_verified=False)
    assert "the provider has not verified rita@example.com" in refusal(client, sign_in(client, idp))
    assert users() == []


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ("key", "Signature verification failed"),
        ("aud", "Audience doesn't match"),
        ("iss", "Invalid issuer"),
        ("nonce", "the ID token answers another sign-in (its nonce differs)"),
        ("exp", "Signature has expired"),
    ],
)
def test_a_spoiled_id_token_is_refused_and_creates_no_user(client, idp, spoil, reason):
    idp.will_sign_in("rita@example.com", groups=["plumbline-admins"])
    if spoil == "key":
        idp.signing_key = new_key()
    else:
        idp.spoil = {
            "aud": {"aud": "another-client"},
            "iss": {"iss": "http://127.0.0.1:1/elsewhere"},
            "nonce": {"nonce": "a-nonce-from-another-sign-in"},
            "exp": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        }[spoil]
    page = refusal(client, sign_in(client, idp))
    assert "Sign-in with Stand-in ID was refused: " in page and escape(reason) in page
    assert users() == []


def test_a_code_is_exchanged_once(client, idp):
    idp.will_sign_in("rita@example.com", groups=["finance"])
    start = client.get("/login/sso/")
    callback = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}")["Location"] == "/"
    client.post("/logout/")
    # The same answer again: its state was used up, so the provider is not even asked.
    replay = client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 302 and "_auth_user_id" not in client.session
    assert idp.token_requests == 1


def test_the_provider_saying_no_comes_back_as_a_refusal(client, idp):
    start = client.get("/login/sso/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    page = refusal(client, client.get("/login/sso/callback/", {"error": "access_denied", "state": state}))
    assert "the provider answered &#x27;access_denied&#x27;" in page


def test_a_provider_that_is_down_stops_sign_in_with_a_message_not_start_up(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.PLUMBLINE_OIDC_PROVIDER_NAME = "Stand-in ID"
    discovery.forget()
    assert "Sign in with Stand-in ID" in client.get("/login/").content.decode()
    response = client.get("/login/sso/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "Stand-in ID cannot be reached just now" in client.get("/login/").content.decode()


def test_a_discovery_document_for_another_issuer_is_not_used(settings):
    with pytest.raises(discovery.ProviderUnavailable, match=r"names issuer 'https://evil\.example'"):
        discovery.read_discovery("https://id.example", {"issuer": "https://evil.example"})


def test_logout_ends_the_provider_session_with_the_id_token_as_hint(client, idp):
    idp.will_sign_in("rita@example.com", groups=["finance"])
    sign_in(client, idp)
    id_token = client.session["oidc_id_token"]
    response = client.post("/logout/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{idp.url}/logout"
    query = parse_qs(target.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert "_auth_user_id" not in client.session


def test_the_admins_log_out_button_also_ends_the_provider_session(client, idp):
    idp.will_sign_in("boss@example.com", groups=["plumbline-admins"])
    sign_in(client, idp)
    admin_page = client.get("/admin/").content.decode()
    assert 'action="/admin/logout/"' in admin_page
    response = client.post("/admin/logout/")
    assert response["Location"].startswith(f"{idp.url}/logout?id_token_hint=")
    assert "_auth_user_id" not in client.session


def test_logout_is_local_when_the_provider_has_no_end_session_endpoint(client, settings):
    with stand_in_provider(end_session=False) as provider:
        configure(settings, provider)
        discovery.forget()
        provider.will_sign_in("rita@example.com", groups=["finance"])
        sign_in(client, provider)
        response = client.post("/logout/")
    discovery.forget()
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_logout_stays_a_post(client, idp):
    assert client.get("/logout/").status_code == 405


def test_without_an_issuer_the_sso_addresses_do_not_exist_and_the_page_has_no_button(client, settings):
    settings.OIDC_ISSUER = ""
    assert client.get("/login/sso/").status_code == 404
    assert client.get("/login/sso/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert "Sign in with" not in client.get("/login/").content.decode()


def test_the_login_page_offers_both_when_passwords_stay_on(client, idp):
    page = client.get("/login/?next=/systems/").content.decode()
    assert 'href="/login/sso/?next=/systems/"' in page and "Sign in with Stand-in ID" in page
    assert 'name="password"' in page


class TestLocalPasswordsOff:
    @pytest.fixture(autouse=True)
    def _passwords_off(self, settings, idp):
        settings.PLUMBLINE_LOCAL_PASSWORDS = False
        settings.AUTHENTICATION_BACKENDS = ["plumbline.accounts.oidc.backend.OIDCBackend"]

    def test_the_login_page_has_no_password_form(self, client):
        page = client.get("/login/").content.decode()
        assert "Sign in with Stand-in ID" in page
        assert 'type="password"' not in page and '<form method="post">' not in page

    def test_a_posted_password_is_refused_even_a_right_one(self, client):
        get_user_model().objects.create_user("sam@example.com", "sam@example.com", "some-long-password")
        response = client.post("/login/", {"username": "sam@example.com", "password": "some-long-password"})
        assert response.status_code == 403
        assert "Passwords are turned off here: sign in with Stand-in ID." in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_single_sign_on_still_signs_in(self, client, idp):
        idp.will_sign_in("rita@example.com", groups=["finance"])
        assert sign_in(client, idp)["Location"] == "/"
        assert "_auth_user_id" in client.session

    def test_api_tokens_keep_working(self, client):
        from plumbline.accounts.roles import assign_role
        from plumbline.accounts.tokens import create_token

        user = get_user_model().objects.create_user("bot@example.com", "bot@example.com")
        assign_role(user, "viewer")
        _, raw = create_token(user)
        response = client.get("/api/v1/integrations/", HTTP_AUTHORIZATION=f"Token {raw}")
        assert response.status_code == 200 and response.json()["count"] == 0
