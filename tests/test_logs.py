"""What the portal writes to its logs: never a code, verifier, token, secret or session id."""

import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from images_app import log_context, services
from images_app.clients import pingone_client
from portal.log_redaction import RedactSecrets, redact
from portal.logging_setup import JsonLines
from portal.views import ID_TOKEN_KEY
from tests import images
from tests.emulator_support import REPO_ROOT
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


# --- Request ids and JSON lines ------------------------------------------------------------------


@pytest.fixture
def json_log(debug_log):
    """The portal's console handler, formatting as LOG_FORMAT=json does, into a buffer; its lines as dicts."""
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecrets) for f in h.filters)
    )
    previous = handler.formatter
    handler.setFormatter(JsonLines())
    yield lambda: [json.loads(line) for line in debug_log.getvalue().splitlines()]
    handler.setFormatter(previous)


def test_a_sane_request_id_is_echoed_and_carried_by_the_requests_lines(
    client, designer, environments, json_log
):
    client.force_login(designer)
    answer = client.post(
        "/environments/production/upload/",
        {"files": [SimpleUploadedFile("logo.png", images.png())]},
        HTTP_ACCEPT="application/json",
        HTTP_X_REQUEST_ID="lb-7f3a.2:1",
    )
    assert answer["X-Request-ID"] == "lb-7f3a.2:1"
    asset = answer.json()["files"][0]["asset"]
    (line,) = [line for line in json_log() if line["message"].startswith("Upload of logo.png")]
    assert (
        line["request_id"] == "lb-7f3a.2:1" and line["asset"] == asset and line["environment"] == "production"
    )
    # Once the request is over, the next lines are no longer about it.
    logging.getLogger("portal.test").warning("after the request")
    assert "request_id" not in json_log()[-1]


@pytest.mark.parametrize("sent", ["", "two words", "x" * 129, 'quote"d', "line\nbreak", "ünïcode"])
def test_a_missing_or_insane_request_id_is_replaced_by_a_new_uuid(client, db, sent):
    answer = client.get("/", HTTP_X_REQUEST_ID=sent)
    assert answer["X-Request-ID"] != sent
    assert uuid.UUID(answer["X-Request-ID"]).version == 4
    assert client.get("/")["X-Request-ID"] != answer["X-Request-ID"]  # a new one each time


def test_a_refusal_before_any_view_carries_the_request_id_too(client, db):
    refused = client.post(
        "/environments/production/upload/", HTTP_ACCEPT="application/json", HTTP_X_REQUEST_ID="r-1"
    )
    assert refused.status_code == 401 and refused["X-Request-ID"] == "r-1"


def test_a_push_queued_during_a_request_carries_its_request_id_to_the_worker(stage, broker):
    from portal.celery import app

    broker.purge()
    token = log_context.start(request_id="upload-req-42")
    try:
        asset = stage()
        services.queue_push(asset.pk)
    finally:
        log_context.reset(token)
    with app.connection_for_read() as connection:
        message = connection.SimpleQueue("images").get(timeout=2)
    assert message.headers[log_context.REQUEST_ID_HEADER] == "upload-req-42"
    assert message.headers["task"] == services.PUSH_TASK


def test_json_lines_redact_secrets_in_the_message_the_extras_and_the_traceback():
    formatter = JsonLines()
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "sent Authorization: Bearer abc.def.ghi", (), None
    )
    record.client_secret = "s3cr3t"
    record.data = {"url": "/cb?code=c0de&state=st4te", "nested": {"access_token": "t0ken"}}
    try:
        raise ValueError("refresh_token=r3fr3sh")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    parsed = json.loads(line)
    assert "\n" not in line and parsed["level"] == "ERROR" and parsed["logger"] == "x"
    for secret in ("abc.def.ghi", "s3cr3t", "c0de", "st4te", "t0ken", "r3fr3sh"):
        assert secret not in line, secret
    assert parsed["client_secret"] == "[redacted]" and "ValueError" in parsed["exc_info"]
    assert parsed["time"].endswith("Z")


# --- Plain text stays the default ----------------------------------------------------------------

LOG_ONE_LINE = (
    "import django, logging; django.setup(); "
    "logging.getLogger('portal.check').warning('one line with token=t0k3n')"
)


def run_logging(**env):
    base = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    return subprocess.run(
        [sys.executable, "-c", LOG_ONE_LINE],
        env={**base, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "1", **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_plain_text_is_the_default_and_json_is_asked_for():
    plain = run_logging().stderr.strip()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING portal.check one line with token=\[redacted\]", plain
    )
    (line,) = run_logging(LOG_FORMAT="json").stderr.strip().splitlines()
    parsed = json.loads(line)
    assert parsed["logger"] == "portal.check" and parsed["message"] == "one line with token=[redacted]"
    refused = run_logging(LOG_FORMAT="xml")
    assert refused.returncode != 0 and "LOG_FORMAT must be 'text' or 'json'" in refused.stderr
