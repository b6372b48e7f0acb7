"""Staging in S3 for real: the portal and its worker stage to an S3-compatible server (moto's
server mode, started here) through django-storages and boto3 over HTTP."""

import hashlib
import itertools
import time

import pytest
import requests

from tests import images
from tests.emulator_support import EmulatorProcess, free_port
from tests.ids import PRODUCTION
from tests.portal_stack import PortalStack, emulator_config
from tests.s3_server import S3Server
from tests.test_e2e_reliability import RedisServer

pytestmark = pytest.mark.e2e

BUCKET = "portal-staging"
DESIGNER = "designer@example.com"


@pytest.fixture(scope="module")
def s3():
    # Started first and waited for last: it comes up while the portal migrates.
    server = S3Server().start(wait=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3_stack(s3):
    """A portal (runserver) and a worker staging to the bucket, with their own emulator (for the
    callback port) and Redis (so no other worker takes their tasks)."""
    port = free_port()
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    own_redis = RedisServer().start()
    with EmulatorProcess(config=emulator_config(origins)) as emulator:
        running = PortalStack(emulator, port, own_redis.url, extra_env=s3.env(BUCKET))
        try:
            running.start()
            s3.wait().create_bucket(BUCKET)
            yield running
        finally:
            running.stop()
            own_redis.stop()


@pytest.fixture(scope="module")
def designer(s3_stack):
    return s3_stack.sign_in(DESIGNER)


# The stack's database outlives each test: every upload here is an image of its own.
_colours = itertools.count(1)


def unique_png():
    n = next(_colours)
    return images.png(size=(6, 5), colour=(n, 90, 200))


def upload_one(stack, session, data, name="logo.png"):
    (answer,) = stack.upload(session, "production", [(name, data)]).json()["files"]
    return answer


def test_an_upload_is_staged_privately_in_the_bucket_and_pushed_to_pingone(s3_stack, s3, designer):
    data = unique_png()
    before = set(s3.keys(BUCKET))

    answer = upload_one(s3_stack, designer, data)
    assert answer["result"] == "staged", answer

    # The clean bytes are an object of the bucket, under the environment's staging folder.
    (key,) = set(s3.keys(BUCKET)) - before
    assert key.startswith("staging/production/") and key.endswith(".png")
    staged = s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    # Private: the object's plain URL is refused to anyone without the keys.
    anonymous = requests.get(s3.object_url(BUCKET, key), timeout=10)
    assert anonymous.status_code == 403, anonymous.status_code

    (asset,) = s3_stack.wait_for(designer, "production", [answer["asset"]], {"live"})
    # The worker read the object back from S3 and pushed exactly those bytes.
    assert asset["sha256"] == hashlib.sha256(staged).hexdigest()
    received = s3_stack.emulator.received(PRODUCTION, asset["pingone_image_id"])
    assert received == staged


def test_staged_bytes_are_served_to_those_who_may_see_the_asset_and_to_nobody_else(s3_stack, s3, designer):
    answer = upload_one(s3_stack, designer, unique_png())
    (asset,) = s3_stack.wait_for(designer, "production", [answer["asset"]], {"live"})
    # The staged copy (the thumbnail until PingOne hosts the image), read from S3 by the portal.
    url = f"{s3_stack.url}/assets/{asset['id']}/file/"

    shown = designer.get(url, timeout=10)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/png"
    assert hashlib.sha256(shown.content).hexdigest() == asset["sha256"]
    assert "private" in shown.headers["Cache-Control"]
    assert s3_stack.sign_in("admin@example.com").get(url, timeout=10).status_code == 200

    signed_out = requests.get(url, allow_redirects=False, timeout=10)
    assert signed_out.status_code == 302 and "/login/" in signed_out.headers["Location"]
    # Signed in, but no group of theirs grants Production.
    outsider = s3_stack.sign_in("outsider@example.com").get(url, allow_redirects=False, timeout=10)
    assert outsider.status_code == 404
    assert hashlib.sha256(outsider.content).hexdigest() != asset["sha256"]


def assets_now(stack, session):
    return {a["id"] for a in stack.assets(session, "production")}


def assert_refused_cleanly(stack, session, s3):
    """An upload while S3 cannot take it: that file refused with a clear message, nothing kept."""
    before = assets_now(stack, session)
    started = time.monotonic()
    response = stack.upload(session, "production", [("refused.png", unique_png())])
    took = time.monotonic() - started
    assert response.status_code == 200, response.text[:500]
    (answer,) = response.json()["files"]
    assert answer == {
        "filename": "refused.png",
        "result": "rejected",
        "asset": None,
        "code": "storage_unavailable",
        "message": "The file could not be stored. Please try again.",
    }
    # No asset appeared for it: nothing queued, nothing half-visible in the gallery.
    assert assets_now(stack, session) == before
    gallery = session.get(f"{stack.url}/environments/production/", timeout=10)
    assert gallery.status_code == 200 and "refused.png" not in gallery.text
    return took


def test_s3_refusing_or_down_at_upload_refuses_that_file_clearly_and_keeps_nothing(s3_stack, s3, designer):
    staged = upload_one(s3_stack, designer, unique_png(), name="staged.png")
    thumbnail = f"{s3_stack.url}/assets/{staged['asset']}/file/"
    assert designer.get(thumbnail, timeout=10).status_code == 200

    # Refused: the bucket is gone (NoSuchBucket).
    s3.delete_bucket(BUCKET)
    try:
        assert_refused_cleanly(s3_stack, designer, s3)
    finally:
        s3.create_bucket(BUCKET)
    assert s3.keys(BUCKET) == []

    # Down: nothing answers on S3's port (connection refused); the request still answers promptly.
    s3.stop()
    try:
        took = assert_refused_cleanly(s3_stack, designer, s3)
        # A staged file that cannot be read now: a plain 503, not an error page.
        unreadable = designer.get(thumbnail, timeout=30)
        assert unreadable.status_code == 503, unreadable.status_code
        assert unreadable.text == "The staged file cannot be read right now."
    finally:
        s3.start()
        s3.create_bucket(BUCKET)
    print(f"upload answered in {took:.2f} s with S3 down")

    # Once S3 is back, uploads go through again.
    answer = upload_one(s3_stack, designer, unique_png(), name="back.png")
    assert answer["result"] == "staged", answer
    s3_stack.wait_for(designer, "production", [answer["asset"]], {"live"})
