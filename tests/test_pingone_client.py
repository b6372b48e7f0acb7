"""The PingOne Images client on its own, against the emulator over HTTP (no Django involved)."""

import email.utils
import time

import pytest

from images_app import pingone
from tests import images
from tests.ids import ADMINISTRATORS, PRODUCTION, WORKER_CLIENT_ID, WORKER_CLIENT_SECRET


class DictCache:
    def __init__(self):
        self.values = {}

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, ttl):
        self.values[key] = value

    def delete(self, key):
        self.values.pop(key, None)


@pytest.fixture
def client(fresh_emulator):
    token = pingone.WorkerToken(
        f"{fresh_emulator.base_url}/{ADMINISTRATORS}/as/token",
        WORKER_CLIENT_ID,
        WORKER_CLIENT_SECRET,
        DictCache(),
    )
    return pingone.PingOneClient(fresh_emulator.api_url, token, timeout=(2, 5))


def test_create_read_and_delete_an_image(client):
    created = client.create_image(PRODUCTION, images.gif(), "image/gif", "icon.gif")
    assert created.environment_id == PRODUCTION
    assert (created.original.width, created.original.height) == (32, 24)
    assert client.read_image(PRODUCTION, created.id) == created
    client.delete_image(PRODUCTION, created.id)
    with pytest.raises(pingone.NotFound) as gone:
        client.read_image(PRODUCTION, created.id)
    assert (gone.value.status, gone.value.code) == (404, "NOT_FOUND")
    assert gone.value.correlation_id


def test_errors_carry_status_code_message_details_and_retry_after(client, fresh_emulator):
    with pytest.raises(pingone.GiveUp) as refused:
        client.create_image(PRODUCTION, b"not an image", "image/png", "x.png")
    assert (refused.value.status, refused.value.code) == (400, "INVALID_DATA")
    assert refused.value.message and not isinstance(refused.value, pingone.RetryLater)

    fresh_emulator.add_fault(path="/images$", status=429, retry_after=3)
    with pytest.raises(pingone.RetryLater) as limited:
        client.create_image(PRODUCTION, images.png(), "image/png", "x.png")
    assert (limited.value.status, limited.value.code, limited.value.retry_after) == (
        429,
        "REQUEST_LIMITED",
        3,
    )


def test_an_oversize_body_names_the_limit(client):
    big = images.png(size=(1200, 1200)) + b"\0" * 2_000_000
    with pytest.raises(pingone.GiveUp) as refused:
        client.create_image(PRODUCTION, big, "image/png", "big.png")
    assert refused.value.details[0]["code"] == "SIZE_LIMIT_EXCEEDED"


def test_a_wrong_worker_secret_gives_up(fresh_emulator):
    token = pingone.WorkerToken(
        f"{fresh_emulator.base_url}/{ADMINISTRATORS}/as/token",
        WORKER_CLIENT_ID,
        "wrong",
        DictCache(),
    )
    with pytest.raises(pingone.GiveUp) as refused:
        token.get()
    assert refused.value.code == "invalid_client"


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert pingone.parse_retry_after("12") == 12
    assert pingone.parse_retry_after(None) is None
    assert pingone.parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= pingone.parse_retry_after(later) <= 31
