"""What the portal writes to its logs: never a code, verifier, token, secret or session id."""

import io
import logging
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.core.cache import cache

from images_app import services
from images_app.clients import pingone_client
from portal.log_redaction import RedactSecrets, redact
from portal.views import ID_TOKEN_KEY
from tests.test_signin import follow_callback, provider_redirect, sign_in_at_provider


@pytest.fixture
def debug_log():
    """The portal's configured console handler, at DEBUG everywhere the portal allows, into a buffer."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if any(isinstance(f, RedactSecrets) for f in h.filters))
    buffer = io.StringIO()
    previous_stream, previous_level = handler.setStream(buffer), root.level
    root.setLevel(logging.DEBUG)
    yield buffer
    root.setLevel(previous_level)
    handler.setStream(previous_stream)


def pkce_verifier(session):
    states = [value for key, value in session.items() if key.startswith("_state_")]
    return states[0]["data"]["code_verifier"]


def test_a_sign_in_and_a_push_at_debug_leave_no_secret_in_the_log(debug_log, pingone, client, stage, caplog):
    callback = sign_in_at_provider(provider_redirect(client), "designer@example.com")
    verifier = pkce_verifier(client.session)
    code = parse_qs(urlparse(callback).query)["code"][0]
    logging.getLogger("portal.test").debug("callback %s", callback)  # as an access log would
    assert follow_callback(client, callback).status_code == 302
    id_token, session_key = client.session[ID_TOKEN_KEY], client.session.session_key
    asset = stage()
    assert services.push_asset(asset.pk).status == "live"
    worker_token = pingone_client().token.get()

    written = debug_log.getvalue()
    assert "DEBUG" in written and "Signed in user" in written  # the log did capture the flow
    secrets = {
        "authorization code": code,
        "PKCE verifier": verifier,
        "ID token": id_token,
        "session id": session_key,
        "worker token": worker_token,
        "OIDC client secret": settings.PINGONE_OIDC_CLIENT_SECRET,
        "worker client secret": settings.PINGONE_WORKER_CLIENT_SECRET,
    }
    leaked = [name for name, value in secrets.items() if value and value in written]
    assert leaked == [], leaked
    assert cache.get(pingone_client().token.cache_key) == worker_token


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('"GET /auth/callback/?code=abc123XYZ&state=s7 HTTP/1.1" 302 0', "abc123XYZ"),
        ("{'grant_type': 'authorization_code', 'code_verifier': 'v3r1f13r'}", "v3r1f13r"),
        ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig", "eyJhbGciOiJSUzI1NiJ9"),
        ("refresh_token=r3fr3sh&client_secret=s3cr3t", "r3fr3sh"),
        ("Cookie: sessionid=abcd1234; csrftoken=zz", "abcd1234"),
    ],
)
def test_secret_looking_values_are_redacted(line, secret):
    assert secret not in redact(line) and "[redacted]" in redact(line)


def test_ordinary_lines_are_left_alone():
    line = "PingOne POST /environments/e/images answered 400 INVALID_DATA: bad (error_code 7)"
    assert redact(line) == line
