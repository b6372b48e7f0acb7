"""Re-checking a signed-in user's groups with PingOne (the emulator over HTTP) as sessions age."""

import logging

import pytest
from django.contrib.auth.models import User

from portal.oidc import ACCESS_TOKEN_KEY, CHECKED_AT_KEY, REFRESH_TOKEN_KEY, RETRY_AT_KEY
from tests.test_signin import sign_in

DESIGNER = "designer@example.com"
PRODUCTION_PAGE = "/environments/production/"


@pytest.fixture
def designer_browser(pingone, db, environments, client):
    """A test client signed in as the designer through the emulator's sign-in."""
    sign_in(client, DESIGNER)
    return client


def age_session(client, seconds=3600):
    """Move the session's last check with PingOne `seconds` into the past."""
    session = client.session
    session[CHECKED_AT_KEY] -= seconds
    session.save()


def edit_session(client, **changes):
    """Set (or, with None, remove) keys of the client's session."""
    session = client.session
    for key, value in changes.items():
        if value is None:
            session.pop(key, None)
        else:
            session[key] = value
    session.save()


def token_requests(emulator):
    return [r for r in emulator.requests_log() if r["path"].endswith("/as/token")]


def assert_sent_to_sign_in(response):
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_removed_designer_keeps_access_until_the_recheck_is_due(designer_browser, pingone):
    pingone.set_groups(DESIGNER, [])

    assert designer_browser.get(PRODUCTION_PAGE).status_code == 200
    assert list(User.objects.get(email=DESIGNER).groups.values_list("name", flat=True)) == ["Branding"]


def test_a_removed_designer_loses_the_environment_at_the_next_recheck(designer_browser, pingone):
    pingone.set_groups(DESIGNER, [])
    age_session(designer_browser)

    assert designer_browser.get(PRODUCTION_PAGE).status_code == 404
    home = designer_browser.get("/").content.decode()
    assert 'data-testid="no-access"' in home
    assert "data-environment=" not in home
    assert not User.objects.get(email=DESIGNER).groups.exists()


def test_a_designer_added_back_regains_access_at_the_next_recheck(designer_browser, pingone, settings):
    settings.PORTAL_SESSION_RECHECK_SECONDS = 0
    pingone.set_groups(DESIGNER, [])
    assert designer_browser.get(PRODUCTION_PAGE).status_code == 404
    rolled = designer_browser.session[REFRESH_TOKEN_KEY]

    pingone.set_groups(DESIGNER, ["Branding"])

    assert designer_browser.get(PRODUCTION_PAGE).status_code == 200
    # Each re-check spent the refresh token it used and kept the one PingOne rolled to.
    assert designer_browser.session[REFRESH_TOKEN_KEY] != rolled


def test_a_designer_made_admin_gets_admin_rights_at_the_next_recheck(designer_browser, pingone):
    assert designer_browser.get("/environments/secret/").status_code == 404
    pingone.set_groups(DESIGNER, ["Branding", "Image Portal Admins"])
    age_session(designer_browser)

    assert designer_browser.get("/environments/secret/").status_code == 200
    user = User.objects.get(email=DESIGNER)
    assert user.is_staff and user.is_superuser
    assert designer_browser.get("/admin/").status_code == 200


def test_an_admin_removed_from_the_admin_group_loses_admin_rights(pingone, environments, client):
    sign_in(client, "admin@example.com")
    pingone.set_groups("admin@example.com", ["Branding"])
    age_session(client)

    assert client.get("/environments/secret/").status_code == 404
    user = User.objects.get(email="admin@example.com")
    assert not (user.is_staff or user.is_superuser)
    assert client.get("/admin/").status_code == 403


def test_a_refresh_token_pingone_refuses_ends_the_session(designer_browser, pingone, caplog):
    refresh_token = designer_browser.session[REFRESH_TOKEN_KEY]
    session_key = designer_browser.session.session_key
    pingone.reset()  # PingOne forgets every token it issued
    age_session(designer_browser)

    with caplog.at_level(logging.DEBUG):
        assert_sent_to_sign_in(designer_browser.get(PRODUCTION_PAGE))

    assert "_auth_user_id" not in designer_browser.session
    assert "refused the re-check (invalid_grant)" in caplog.text
    assert refresh_token not in caplog.text and session_key not in caplog.text


def test_an_unreachable_pingone_keeps_the_session_and_is_asked_again_after_a_backoff(
    designer_browser, pingone, caplog
):
    refresh_token = designer_browser.session[REFRESH_TOKEN_KEY]
    pingone.set_groups(DESIGNER, [])
    pingone.add_fault(path="/as/token$", method="POST", drop=True)
    age_session(designer_browser)

    with caplog.at_level(logging.INFO):
        assert designer_browser.get(PRODUCTION_PAGE).status_code == 200
    assert any(r.levelno == logging.WARNING and "re-check" in r.getMessage() for r in caplog.records)
    assert refresh_token not in caplog.text
    asked = len(token_requests(pingone))

    # Within the back-off the portal does not ask again, and the session's groups stand.
    assert designer_browser.get(PRODUCTION_PAGE).status_code == 200
    assert len(token_requests(pingone)) == asked

    edit_session(designer_browser, **{RETRY_AT_KEY: 0})
    assert designer_browser.get(PRODUCTION_PAGE).status_code == 404
    assert "_auth_user_id" in designer_browser.session


def test_a_session_without_a_refresh_token_is_rechecked_through_userinfo(designer_browser, pingone):
    # What an app without the refresh grant leaves: only the access token.
    access_token = pingone.user_tokens(DESIGNER)["access_token"]
    edit_session(designer_browser, **{REFRESH_TOKEN_KEY: None, ACCESS_TOKEN_KEY: access_token})
    pingone.set_groups(DESIGNER, [])
    age_session(designer_browser)

    assert designer_browser.get(PRODUCTION_PAGE).status_code == 404
    assert "_auth_user_id" in designer_browser.session

    pingone.reset()  # the access token is no longer valid
    age_session(designer_browser)
    assert_sent_to_sign_in(designer_browser.get(PRODUCTION_PAGE))


def test_a_session_from_before_the_recheck_with_no_token_kept_is_ended(designer_browser):
    edit_session(designer_browser, **{REFRESH_TOKEN_KEY: None, CHECKED_AT_KEY: None})

    assert_sent_to_sign_in(designer_browser.get(PRODUCTION_PAGE))
    assert "Sign in with PingOne" in designer_browser.get("/").content.decode()


def test_a_slow_userinfo_keeps_the_session_and_the_refresh_token_pingone_rolled_to(
    designer_browser, pingone, settings
):
    settings.PINGONE_TIMEOUT = (2, 0.5)
    pingone.set_groups(DESIGNER, [])
    pingone.add_fault(path="/as/userinfo$", latency_ms=1500)
    age_session(designer_browser)

    assert designer_browser.get(PRODUCTION_PAGE).status_code == 200

    # The refresh before userinfo spent the old token: the next re-check needs the new one.
    edit_session(designer_browser, **{RETRY_AT_KEY: 0})
    assert designer_browser.get(PRODUCTION_PAGE).status_code == 404
    assert "_auth_user_id" in designer_browser.session
