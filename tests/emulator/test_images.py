"""The emulator's Images API and image hosting, driven over HTTP with a worker token."""

import hashlib
import io
import re
import struct
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image

from tests import images
from tests.emulator_support import EmulatorProcess
from tests.ids import PRODUCTION, STAGING

CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}


@pytest.fixture
def api(emulator):
    """A requests session carrying a fresh worker token."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {emulator.worker_token()}"
    return session


def assert_pingone_error(response, status, code):
    """Check a PingOne error answer (status, code, id, message, Correlation-Id); return its body."""
    assert response.status_code == status
    assert uuid.UUID(response.headers["Correlation-Id"])
    body = response.json()
    assert body["code"] == code
    assert uuid.UUID(body["id"])
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_create_read_delete_for_each_format(emulator, api, fmt):
    url = emulator.images_url(PRODUCTION)
    created = emulator.create_image(PRODUCTION, images.image_bytes(fmt), content_type=CONTENT_TYPES[fmt])
    assert created.status_code == 201
    assert uuid.UUID(created.headers["Correlation-Id"])
    body = created.json()
    assert set(body) == {"_links", "id", "targets", "environment", "createdAt"}
    image_id = body["id"]
    assert uuid.UUID(image_id).version == 4
    assert body["_links"] == {
        "self": {"href": f"{url}/{image_id}"},
        "environment": {"href": f"{emulator.api_url}/environments/{PRODUCTION}"},
    }
    assert body["environment"] == {"id": PRODUCTION}
    assert CREATED_AT.match(body["createdAt"])
    original = body["targets"]["original"]
    assert set(body["targets"]) == {"original"}
    assert set(original) == {"id", "width", "height", "type", "href"}
    assert original["id"] == "original"
    assert (original["width"], original["height"]) == (32, 24)
    assert type(original["width"]) is int and type(original["height"]) is int
    assert original["type"] == "png"
    assert re.fullmatch(
        rf"{emulator.base_url}/uploads/environments/{PRODUCTION}/images/"
        r"[0-9a-f-]{36}_[0-9a-f-]{36}_original\.png",
        original["href"],
    )

    hosted = requests.get(original["href"], timeout=10)
    assert hosted.status_code == 200
    assert hosted.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(hosted.content)) as stored:
        assert stored.format == "PNG"
        assert stored.size == (32, 24)

    read = api.get(f"{url}/{image_id}", timeout=10)
    assert read.status_code == 200
    assert read.json() == body

    deleted = api.delete(f"{url}/{image_id}", timeout=10)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert uuid.UUID(deleted.headers["Correlation-Id"])
    assert_pingone_error(api.get(f"{url}/{image_id}", timeout=10), 404, "NOT_FOUND")
    assert requests.get(original["href"], timeout=10).status_code == 404
    assert_pingone_error(api.delete(f"{url}/{image_id}", timeout=10), 404, "NOT_FOUND")


def test_cmyk_jpeg_is_stored_as_png(emulator):
    created = emulator.create_image(PRODUCTION, images.cmyk_jpeg(), content_type="image/jpeg")
    assert created.status_code == 201
    hosted = requests.get(created.json()["targets"]["original"]["href"], timeout=10)
    assert Image.open(io.BytesIO(hosted.content)).format == "PNG"


def test_image_jpg_content_type_is_accepted(emulator):
    assert emulator.create_image(PRODUCTION, images.jpeg(), content_type="image/jpg").status_code == 201


def test_content_type_lying_about_the_format_still_works_by_sniffing(emulator):
    created = emulator.create_image(PRODUCTION, images.gif(size=(7, 5)), content_type="image/png")
    assert created.status_code == 201
    assert created.json()["targets"]["original"]["width"] == 7


def test_received_bytes_and_metadata_are_kept_exactly(emulator):
    data = images.jpeg()
    image_id = emulator.create_image(PRODUCTION, data, content_type="image/jpeg").json()["id"]
    assert emulator.received(PRODUCTION, image_id) == data
    [stored] = emulator.images(PRODUCTION)
    assert stored["id"] == image_id
    assert stored["received_sha256"] == hashlib.sha256(data).hexdigest()
    assert stored["received_bytes"] == len(data)
    assert stored["received_content_type"] == "image/jpeg"
    assert stored["targets"]["original"]["type"] == "png"
    assert emulator.images(STAGING) == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"", "image/png"),
        (b"hello, this is text and not an image", "image/png"),
        (images.image_bytes("WEBP"), "image/png"),
        (images.image_bytes("BMP"), "image/png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/png"),
        (images.png()[:60], "image/png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),
        (images.png(), "text/plain"),
    ],
    ids=["empty", "text", "webp", "bmp", "svg", "truncated", "fake-png", "text-content-type"],
)
def test_non_images_are_invalid_data(emulator, data, content_type):
    answer = emulator.create_image(PRODUCTION, data, content_type=content_type)
    body = assert_pingone_error(answer, 400, "INVALID_DATA")
    assert body["details"][0]["code"]


def png_claiming(width, height):
    """A PNG whose header claims a huge size, with almost no pixel data."""

    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_invalid_data(emulator):
    answer = emulator.create_image(PRODUCTION, png_claiming(100_000, 100_000))
    assert_pingone_error(answer, 400, "INVALID_DATA")


def padded_png(total):
    """A PNG of exactly `total` bytes."""
    data = images.png()
    # Bytes after IEND are ignored by decoders; they make an exact-size image.
    return data + b"\x00" * (total - len(data))


def test_an_image_at_the_size_limit_is_accepted(emulator):
    data = padded_png(2_000_000)
    assert len(data) == 2_000_000
    assert emulator.create_image(PRODUCTION, data).status_code == 201


def test_an_image_over_the_size_limit_is_refused(emulator):
    answer = emulator.create_image(PRODUCTION, padded_png(2_000_001))
    body = assert_pingone_error(answer, 400, "INVALID_DATA")
    [detail] = body["details"]
    assert detail["code"] == "SIZE_LIMIT_EXCEEDED"
    assert detail["target"] == "file"
    assert detail["message"]
    assert detail["innerError"] == {"maximumValue": 2_000_000}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer garbage", "Basic Zm9vOmJhcg==", "Bearer eyJhbGciOiJub25lIn0.e30."],
    ids=["missing", "empty", "garbage", "basic", "unsigned-jwt"],
)
def test_requests_without_a_worker_token_are_401(emulator, authorization):
    url = emulator.images_url(PRODUCTION)
    headers = {"Content-Type": "image/png"}
    if authorization:
        headers["Authorization"] = authorization
    answer = requests.post(url, data=images.png(), headers=headers, timeout=10)
    body = assert_pingone_error(answer, 401, "ACCESS_FAILED")
    assert body["details"][0]["code"] == "INVALID_TOKEN"
    assert_pingone_error(requests.get(f"{url}/x", headers=headers, timeout=10), 401, "ACCESS_FAILED")


def test_an_expired_worker_token_is_401(default_emulator):
    config = dict(default_emulator.config, settings={"access_token_ttl_seconds": 1})
    with EmulatorProcess(config=config) as short:
        token = short.worker_token()
        assert short.create_image(PRODUCTION, images.png(), token).status_code == 201
        time.sleep(1.2)
        assert_pingone_error(short.create_image(PRODUCTION, images.png(), token), 401, "ACCESS_FAILED")


def test_unknown_image_and_unknown_environment_are_404(emulator, api):
    url = emulator.images_url(PRODUCTION)
    assert_pingone_error(api.get(f"{url}/{uuid.uuid4()}", timeout=10), 404, "NOT_FOUND")
    unknown = str(uuid.uuid4())
    assert_pingone_error(emulator.create_image(unknown, images.png()), 404, "NOT_FOUND")
    other = emulator.images_url(unknown)
    assert_pingone_error(api.get(f"{other}/{uuid.uuid4()}", timeout=10), 404, "NOT_FOUND")


def test_an_image_is_read_only_in_its_own_environment(emulator, api):
    image_id = emulator.create_image(PRODUCTION, images.png()).json()["id"]
    staging = emulator.images_url(STAGING)
    assert_pingone_error(api.get(f"{staging}/{image_id}", timeout=10), 404, "NOT_FOUND")


def test_collection_get_and_updates_are_405(emulator, api):
    url = emulator.images_url(PRODUCTION)
    image_id = emulator.create_image(PRODUCTION, images.png()).json()["id"]
    for method, target in [
        ("GET", url),
        ("PUT", url),
        ("PATCH", url),
        ("PUT", f"{url}/{image_id}"),
        ("PATCH", f"{url}/{image_id}"),
    ]:
        answer = api.request(method, target, data=b"{}", timeout=10)
        body = assert_pingone_error(answer, 405, "INVALID_REQUEST")
        assert body["message"] == "Method not allowed"
        assert "Allow" in answer.headers


def test_unknown_paths_answer_a_pingone_404(emulator):
    answer = requests.get(f"{emulator.base_url}/v1/nothing/here", timeout=10)
    assert_pingone_error(answer, 404, "NOT_FOUND")


def test_a_user_access_token_is_refused(emulator):
    token = emulator.user_tokens("admin@example.com")["access_token"]
    assert_pingone_error(emulator.create_image(PRODUCTION, images.png(), token), 401, "ACCESS_FAILED")


def test_rate_limit_fault_answers_429_with_retry_after(emulator):
    emulator.add_fault(path=r"/images$", method="POST", status=429, retry_after=2)
    answer = emulator.create_image(PRODUCTION, images.png())
    assert_pingone_error(answer, 429, "REQUEST_LIMITED")
    assert answer.headers["Retry-After"] == "2"
    assert emulator.create_image(PRODUCTION, images.png()).status_code == 201


def test_server_error_fault_answers_500(emulator):
    emulator.add_fault(path=r"/images", status=500)
    assert_pingone_error(emulator.create_image(PRODUCTION, images.png()), 500, "UNEXPECTED_ERROR")
    assert emulator.images(PRODUCTION) == []


def test_store_format_original_keeps_the_uploaded_format(default_emulator):
    config = dict(default_emulator.config, settings={"store_format": "original"})
    with EmulatorProcess(config=config) as original:
        token = original.worker_token()
        for fmt, kind in [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif")]:
            data = images.image_bytes(fmt)
            body = original.create_image(PRODUCTION, data, token, CONTENT_TYPES[fmt]).json()
            target = body["targets"]["original"]
            assert target["type"] == kind
            assert target["href"].endswith(f"_original.{kind}")
            hosted = requests.get(target["href"], timeout=10)
            assert hosted.content == data
            assert hosted.headers["Content-Type"] == CONTENT_TYPES[fmt]


def test_unsupported_type_status_415(default_emulator):
    config = dict(default_emulator.config, settings={"unsupported_type_status": 415})
    with EmulatorProcess(config=config) as strict:
        answer = strict.create_image(PRODUCTION, images.image_bytes("WEBP"))
        assert_pingone_error(answer, 415, "INVALID_REQUEST")


def test_twenty_concurrent_creates_all_succeed(emulator):
    token = emulator.worker_token()

    def create(n):
        return emulator.create_image(PRODUCTION, images.png(size=(10 + n, 10)), token)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(create, range(20)))
    assert [a.status_code for a in answers] == [201] * 20
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 20
    widths = sorted(a.json()["targets"]["original"]["width"] for a in answers)
    assert widths == list(range(10, 30))
    assert len(emulator.images(PRODUCTION)) == 20
