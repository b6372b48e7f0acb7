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

from tests.emulator_support import EmulatorProcess

CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
UNKNOWN_ENV = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True)
def emulator(default_emulator):
    """The emulator with its default configuration, emptied before each test."""
    default_emulator.reset()
    return default_emulator


@pytest.fixture
def api(emulator):
    """A session carrying a fresh worker token, and the Production images URL."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {emulator.worker_token()}"
    return session, f"{emulator.api_url}/environments/{emulator.env_id('Production')}/images"


def image_bytes(fmt="PNG", size=(32, 24), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, "teal" if mode != "CMYK" else (10, 20, 30, 40)).save(buffer, fmt)
    return buffer.getvalue()


def post(session, url, data, content_type="image/png", filename="logo.png"):
    return session.post(
        url,
        data=data,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f"attachment; filename={filename}",
        },
        timeout=30,
    )


def assert_pingone_error(response, status, code):
    assert response.status_code == status
    assert uuid.UUID(response.headers["Correlation-Id"])
    body = response.json()
    assert body["code"] == code
    assert uuid.UUID(body["id"])
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_create_read_delete_for_each_format(emulator, api, fmt):
    session, url = api
    env_id = emulator.env_id("Production")
    data = image_bytes(fmt)
    created = post(session, url, data, CONTENT_TYPES[fmt], f"logo.{fmt.lower()}")
    assert created.status_code == 201
    assert uuid.UUID(created.headers["Correlation-Id"])
    body = created.json()
    assert set(body) == {"_links", "id", "targets", "environment", "createdAt"}
    image_id = body["id"]
    assert uuid.UUID(image_id).version == 4
    assert body["_links"] == {
        "self": {"href": f"{emulator.api_url}/environments/{env_id}/images/{image_id}"},
        "environment": {"href": f"{emulator.api_url}/environments/{env_id}"},
    }
    assert body["environment"] == {"id": env_id}
    assert CREATED_AT.match(body["createdAt"])
    original = body["targets"]["original"]
    assert set(body["targets"]) == {"original"}
    assert set(original) == {"id", "width", "height", "type", "href"}
    assert original["id"] == "original"
    assert (original["width"], original["height"]) == (32, 24)
    assert type(original["width"]) is int and type(original["height"]) is int
    assert original["type"] == "png"
    assert re.fullmatch(
        rf"{emulator.base_url}/uploads/environments/{env_id}/images/"
        r"[0-9a-f-]{36}_[0-9a-f-]{36}_original\.png",
        original["href"],
    )

    hosted = requests.get(original["href"], timeout=10)
    assert hosted.status_code == 200
    assert hosted.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(hosted.content)) as stored:
        assert stored.format == "PNG"
        assert stored.size == (32, 24)

    read = session.get(f"{url}/{image_id}", timeout=10)
    assert read.status_code == 200
    assert read.json() == body

    deleted = session.delete(f"{url}/{image_id}", timeout=10)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert uuid.UUID(deleted.headers["Correlation-Id"])
    assert_pingone_error(session.get(f"{url}/{image_id}", timeout=10), 404, "NOT_FOUND")
    assert requests.get(original["href"], timeout=10).status_code == 404
    assert_pingone_error(session.delete(f"{url}/{image_id}", timeout=10), 404, "NOT_FOUND")


def test_cmyk_jpeg_is_stored_as_png(api):
    session, url = api
    created = post(session, url, image_bytes("JPEG", mode="CMYK"), "image/jpeg", "cmyk.jpg")
    assert created.status_code == 201
    hosted = requests.get(created.json()["targets"]["original"]["href"], timeout=10)
    assert Image.open(io.BytesIO(hosted.content)).format == "PNG"


def test_image_jpg_content_type_is_accepted(api):
    session, url = api
    assert post(session, url, image_bytes("JPEG"), "image/jpg", "logo.jpg").status_code == 201


def test_content_type_lying_about_the_format_still_works_by_sniffing(api):
    session, url = api
    created = post(session, url, image_bytes("GIF", size=(7, 5)), "image/png", "liar.png")
    assert created.status_code == 201
    assert created.json()["targets"]["original"]["width"] == 7


def test_received_bytes_and_metadata_are_kept_exactly(emulator, api):
    session, url = api
    env_id = emulator.env_id("Production")
    data = image_bytes("JPEG")
    image_id = post(session, url, data, "image/jpeg", "photo.jpg").json()["id"]
    assert emulator.received(env_id, image_id) == data
    [stored] = emulator.images(env_id)
    assert stored["id"] == image_id
    assert stored["received_sha256"] == hashlib.sha256(data).hexdigest()
    assert stored["received_bytes"] == len(data)
    assert stored["received_content_type"] == "image/jpeg"
    assert stored["targets"]["original"]["type"] == "png"
    assert emulator.images(emulator.env_id("Staging")) == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"", "image/png"),
        (b"hello, this is text and not an image", "image/png"),
        (image_bytes("WEBP"), "image/png"),
        (image_bytes("BMP"), "image/png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/png"),
        (image_bytes("PNG")[:60], "image/png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),
        (image_bytes("PNG"), "text/plain"),
    ],
    ids=["empty", "text", "webp", "bmp", "svg", "truncated", "fake-png", "text-content-type"],
)
def test_non_images_are_invalid_data(api, data, content_type):
    session, url = api
    body = assert_pingone_error(post(session, url, data, content_type), 400, "INVALID_DATA")
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


def test_a_decompression_bomb_is_invalid_data(api):
    session, url = api
    answer = post(session, url, png_claiming(100_000, 100_000))
    assert_pingone_error(answer, 400, "INVALID_DATA")


def padded_png(total):
    data = image_bytes("PNG")
    # Bytes after IEND are ignored by decoders; they make an exact-size image.
    return data + b"\x00" * (total - len(data))


def test_an_image_at_the_size_limit_is_accepted(api):
    session, url = api
    data = padded_png(2_000_000)
    assert len(data) == 2_000_000
    assert post(session, url, data).status_code == 201


def test_an_image_over_the_size_limit_is_refused(api):
    session, url = api
    body = assert_pingone_error(post(session, url, padded_png(2_000_001)), 400, "INVALID_DATA")
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
    url = f"{emulator.api_url}/environments/{emulator.env_id('Production')}/images"
    headers = {"Content-Type": "image/png"}
    if authorization:
        headers["Authorization"] = authorization
    answer = requests.post(url, data=image_bytes(), headers=headers, timeout=10)
    body = assert_pingone_error(answer, 401, "ACCESS_FAILED")
    assert body["details"][0]["code"] == "INVALID_TOKEN"
    assert_pingone_error(requests.get(f"{url}/x", headers=headers, timeout=10), 401, "ACCESS_FAILED")


def test_an_expired_worker_token_is_401(emulator):
    config = dict(emulator.config, settings={"access_token_ttl_seconds": 1})
    with EmulatorProcess(config=config) as short:
        token = short.worker_token()
        url = f"{short.api_url}/environments/{short.env_id('Production')}/images"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/png"}
        assert requests.post(url, data=image_bytes(), headers=headers, timeout=10).status_code == 201
        time.sleep(1.2)
        answer = requests.post(url, data=image_bytes(), headers=headers, timeout=10)
        assert_pingone_error(answer, 401, "ACCESS_FAILED")


def test_unknown_image_and_unknown_environment_are_404(emulator, api):
    session, url = api
    assert_pingone_error(session.get(f"{url}/{uuid.uuid4()}", timeout=10), 404, "NOT_FOUND")
    other = f"{emulator.api_url}/environments/{UNKNOWN_ENV}/images"
    assert_pingone_error(post(session, other, image_bytes()), 404, "NOT_FOUND")
    assert_pingone_error(session.get(f"{other}/{uuid.uuid4()}", timeout=10), 404, "NOT_FOUND")


def test_an_image_is_read_only_in_its_own_environment(emulator, api):
    session, url = api
    image_id = post(session, url, image_bytes()).json()["id"]
    staging = f"{emulator.api_url}/environments/{emulator.env_id('Staging')}/images"
    assert_pingone_error(session.get(f"{staging}/{image_id}", timeout=10), 404, "NOT_FOUND")


def test_collection_get_and_updates_are_405(api):
    session, url = api
    image_id = post(session, url, image_bytes()).json()["id"]
    for method, target in [
        ("GET", url),
        ("PUT", url),
        ("PATCH", url),
        ("PUT", f"{url}/{image_id}"),
        ("PATCH", f"{url}/{image_id}"),
    ]:
        answer = session.request(method, target, data=b"{}", timeout=10)
        body = assert_pingone_error(answer, 405, "INVALID_REQUEST")
        assert body["message"] == "Method not allowed"
        assert "Allow" in answer.headers


def test_unknown_paths_answer_a_pingone_404(emulator):
    answer = requests.get(f"{emulator.base_url}/v1/nothing/here", timeout=10)
    assert_pingone_error(answer, 404, "NOT_FOUND")


def test_a_user_access_token_is_refused(emulator):
    token = emulator.user_tokens("admin@example.com")
    url = f"{emulator.api_url}/environments/{emulator.env_id('Production')}/images"
    answer = requests.post(
        url,
        data=image_bytes(),
        headers={"Authorization": f"Bearer {token['access_token']}", "Content-Type": "image/png"},
        timeout=10,
    )
    assert_pingone_error(answer, 401, "ACCESS_FAILED")


def test_rate_limit_fault_answers_429_with_retry_after(emulator, api):
    session, url = api
    emulator.add_fault(path=r"/images$", method="POST", status=429, retry_after=2)
    answer = post(session, url, image_bytes())
    assert_pingone_error(answer, 429, "REQUEST_LIMITED")
    assert answer.headers["Retry-After"] == "2"
    assert post(session, url, image_bytes()).status_code == 201


def test_server_error_fault_answers_500(emulator, api):
    session, url = api
    emulator.add_fault(path=r"/images", status=500)
    assert_pingone_error(post(session, url, image_bytes()), 500, "UNEXPECTED_ERROR")
    assert emulator.images(emulator.env_id("Production")) == []


def test_store_format_original_keeps_the_uploaded_format(emulator):
    config = dict(emulator.config, settings={"store_format": "original"})
    with EmulatorProcess(config=config) as original:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {original.worker_token()}"
        url = f"{original.api_url}/environments/{original.env_id('Production')}/images"
        for fmt, kind in [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif")]:
            data = image_bytes(fmt)
            body = post(session, url, data, CONTENT_TYPES[fmt]).json()
            target = body["targets"]["original"]
            assert target["type"] == kind
            assert target["href"].endswith(f"_original.{kind}")
            hosted = requests.get(target["href"], timeout=10)
            assert hosted.content == data
            assert hosted.headers["Content-Type"] == CONTENT_TYPES[fmt]


def test_unsupported_type_status_415(emulator):
    config = dict(emulator.config, settings={"unsupported_type_status": 415})
    with EmulatorProcess(config=config) as strict:
        url = f"{strict.api_url}/environments/{strict.env_id('Production')}/images"
        headers = {"Authorization": f"Bearer {strict.worker_token()}", "Content-Type": "image/png"}
        answer = requests.post(url, data=image_bytes("WEBP"), headers=headers, timeout=10)
        assert_pingone_error(answer, 415, "INVALID_REQUEST")


def test_twenty_concurrent_creates_all_succeed(emulator, api):
    session, url = api
    token = session.headers["Authorization"]

    def create(n):
        return requests.post(
            url,
            data=image_bytes(size=(10 + n, 10)),
            headers={"Authorization": token, "Content-Type": "image/png"},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(create, range(20)))
    assert [a.status_code for a in answers] == [201] * 20
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 20
    widths = sorted(a.json()["targets"]["original"]["width"] for a in answers)
    assert widths == list(range(10, 30))
    assert len(emulator.images(emulator.env_id("Production"))) == 20
