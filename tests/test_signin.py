"""Sign-in with the OIDC provider (the emulator over HTTP), driven through the portal's views."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client

from tests.html_forms import submit_sign_in_form
from tests.portal_stack import MANY_GROUPS


def provider_redirect(client, path="/login/"):
    response = client.get(path)
    assert response.status_code == 302
    return response["Location"]


def sign_in_at_provider(authorize_url, username, password="password", deny=False):
    """Do what the browser does at the provider; return the callback URL it is sent back to."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    answer = submit_sign_in_form(browser, page, username, password, deny=deny, allow_redirects=False)
    assert answer.status_code in (302, 303), answer.text[:300]
    return answer.headers["Location"]


def follow_callback(client, callback_url):
    parsed = urlparse(callback_url)
    assert parsed.path == "/auth/callback/"
    return client.get(f"{parsed.path}?{parsed.query}")


def sign_in(client, username):
    return follow_callback(client, sign_in_at_provider(provider_redirect(client), username))


@pytest.fixture
def oidc(pingone, db):
    return pingone


def test_sign_in_uses_pkce_s256_state_and_nonce(oidc, client):
    params = parse_qs(urlparse(provider_redirect(client)).query)
    assert params["code_challenge_method"] == ["S256"]
    assert len(params["code_challenge"][0]) >= 43
    assert params["state"][0] and params["nonce"][0]
    assert params["redirect_uri"] == ["http://testserver/auth/callback/"]
    assert "openid" in params["scope"][0].split()


def test_a_user_is_keyed_on_sub_and_their_groups_come_from_the_token(oidc, client):
    response = sign_in(client, "designer@example.com")

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="designer@example.com")
    assert user.username == oidc.user("designer@example.com")["sub"]
    assert list(user.groups.values_list("name", flat=True)) == ["Branding"]
    assert not user.is_staff
    assert client.get("/").status_code == 200


def test_signing_in_again_updates_the_same_user_and_cycles_the_session(oidc, client):
    sign_in(client, "admin@example.com")
    first_session = client.session.session_key
    user = User.objects.get(email="admin@example.com")
    user.email = "stale@example.com"
    user.save()
    user.groups.set([])

    sign_in(client, "admin@example.com")

    assert User.objects.filter(username=user.username).count() == 1
    user.refresh_from_db()
    assert user.email == "admin@example.com"
    assert list(user.groups.values_list("name", flat=True)) == ["Image Portal Admins"]
    assert user.is_staff and user.is_superuser
    assert client.session.session_key != first_session


def test_signing_in_in_a_second_browser_keeps_the_first_one_signed_in(oidc, environments):
    first, second = Client(), Client()
    sign_in(first, "designer@example.com")
    sign_in(second, "designer@example.com")

    for browser in (first, second):
        page = browser.get("/").content.decode()
        assert 'data-environment="production"' in page
        assert "Sign in with PingOne" not in page


def test_more_than_25_groups_are_read_from_userinfo(oidc, client):
    sign_in(client, "crowded@example.com")
    user = User.objects.get(email="crowded@example.com")
    assert sorted(user.groups.values_list("name", flat=True)) == sorted(MANY_GROUPS)


def test_sign_in_returns_to_the_page_asked_for(oidc, client, environments):
    response = client.get("/environments/production/")
    assert response.status_code == 302
    login_path = response["Location"]
    callback = sign_in_at_provider(provider_redirect(client, login_path), "designer@example.com")
    assert follow_callback(client, callback)["Location"] == "/environments/production/"


def test_a_next_that_points_elsewhere_is_ignored(oidc, client):
    callback = sign_in_at_provider(
        provider_redirect(client, "/login/?next=https://evil.example/"), "designer@example.com"
    )
    assert follow_callback(client, callback)["Location"] == "/"


def assert_friendly_failure(response):
    assert response.status_code in (400, 502)
    text = response.content.decode()
    assert "Sign-in did not complete" in text
    assert 'href="/login/"' in text and "Sign in again" in text


def test_a_denied_sign_in_is_a_friendly_page(oidc, client):
    callback = sign_in_at_provider(provider_redirect(client), "designer@example.com", deny=True)
    assert "error=access_denied" in callback
    response = follow_callback(client, callback)
    assert_friendly_failure(response)
    assert "cancelled" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_replayed_callback_is_a_friendly_page(oidc, client):
    callback = sign_in_at_provider(provider_redirect(client), "designer@example.com")
    follow_callback(client, callback)
    client.logout()
    assert_friendly_failure(follow_callback(client, callback))


def test_a_callback_from_another_browser_is_refused(oidc, client, django_user_model):
    callback = sign_in_at_provider(provider_redirect(client), "designer@example.com")
    other = Client()
    response = follow_callback(other, callback)
    assert_friendly_failure(response)
    assert "expired or was already used" in response.content.decode()


def test_a_tampered_code_is_a_friendly_page(oidc, client):
    callback = sign_in_at_provider(provider_redirect(client), "designer@example.com")
    response = follow_callback(client, callback.replace("code=", "code=x"))
    assert_friendly_failure(response)


def test_an_unreachable_provider_is_a_friendly_page(oidc, client, settings):
    from tests.emulator_support import free_port

    settings.OIDC_SERVER_METADATA_URL = f"http://127.0.0.1:{free_port()}/as/.well-known/openid-configuration"
    response = client.get("/login/")
    assert_friendly_failure(response)
    assert "could not be reached" in response.content.decode()


def test_a_callback_with_nothing_is_a_friendly_page(oidc, client):
    assert_friendly_failure(client.get("/auth/callback/"))


def test_sign_in_works_from_a_discovery_document_alone(oidc, client, settings):
    # Nothing PingOne-specific: the region hosts and environment id lead nowhere.
    settings.OIDC_SERVER_METADATA_URL = (
        f"{oidc.issuer(oidc.app('oidc_web')['environment_id'])}/.well-known/openid-configuration"
    )
    settings.PINGONE_AUTH_BASE_URL = "http://127.0.0.1:9"
    settings.PINGONE_OIDC_ENVIRONMENT_ID = "not-an-environment"

    response = sign_in(client, "designer@example.com")

    assert response.status_code == 302
    assert User.objects.filter(email="designer@example.com").exists()


def test_logout_needs_a_post_and_goes_through_the_provider_signoff(oidc, client):
    sign_in(client, "designer@example.com")
    assert client.get("/logout/").status_code == 200  # a confirmation page, nothing ended
    assert "_auth_user_id" in client.session

    response = client.post("/logout/")

    assert response.status_code == 302
    signoff = urlparse(response["Location"])
    assert signoff.path.endswith("/as/signoff")
    query = parse_qs(signoff.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert query["id_token_hint"][0].count(".") == 2
    assert query["state"][0]
    assert "_auth_user_id" not in client.session
