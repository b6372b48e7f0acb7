"""The product end to end: real processes (emulator, portal, Celery worker on Redis) over HTTP."""

import hashlib
import re

import pytest

from tests import images
from tests.html_forms import parse_form
from tests.ids import PRODUCTION

pytestmark = pytest.mark.e2e


def test_a_designer_uploads_png_jpeg_and_gif_and_a_worker_pushes_them_live(fresh_stack):
    stack, emulator = fresh_stack, fresh_stack.emulator
    designer = stack.sign_in("designer@example.com")

    answer = stack.upload(
        designer,
        "production",
        [
            ("logo.png", images.png()),
            ("photo.jpg", images.jpeg()),
            ("icon.gif", images.gif()),
        ],
    )

    assert answer.status_code == 200
    files = answer.json()["files"]
    assert [(f["filename"], f["result"], f["code"]) for f in files] == [
        ("logo.png", "staged", None),
        ("photo.jpg", "staged", None),
        ("icon.gif", "staged", None),
    ]
    ids = [f["asset"] for f in files]
    live = stack.wait_for(designer, "production", ids, {"live"})
    stored = {image["id"]: image for image in emulator.images(PRODUCTION)}
    assert sorted(stored) == sorted(a["pingone_image_id"] for a in live)
    for asset, content_type in zip(live, ["image/png", "image/jpeg", "image/gif"], strict=True):
        original = asset["targets"]["original"]
        assert (original["width"], original["height"]) == (asset["width"], asset["height"]) == (32, 24)
        assert original["href"].startswith(emulator.base_url)
        image = stored[asset["pingone_image_id"]]
        assert image["received_content_type"] == content_type
        # What PingOne received is exactly the clean bytes the portal recorded.
        assert image["received_sha256"] == asset["sha256"]
        received = emulator.received(PRODUCTION, asset["pingone_image_id"])
        assert hashlib.sha256(received).hexdigest() == asset["sha256"]
        assert asset["error"] is None
    gallery = designer.get(f"{stack.url}/environments/production/", timeout=30).text
    for asset in live:
        assert asset["pingone_image_id"] in gallery
        assert asset["targets"]["original"]["href"] in gallery


def test_a_push_that_pingone_refuses_shows_failed_with_its_code_and_message(fresh_stack):
    stack, emulator = fresh_stack, fresh_stack.emulator
    designer = stack.sign_in("designer@example.com")
    emulator.add_fault(path=f"/environments/{PRODUCTION}/images$", method="POST", status=400, count=1)

    files = stack.upload(designer, "production", [("broken.png", images.png(colour=(1, 1, 1)))]).json()
    asset_id = files["files"][0]["asset"]

    (asset,) = stack.wait_for(designer, "production", [asset_id], {"failed"})
    assert asset["error"]["code"] == "INVALID_DATA"
    assert asset["error"]["message"]
    assert asset["pingone_image_id"] is None
    gallery = designer.get(f"{stack.url}/environments/production/?status=failed", timeout=30).text
    assert "INVALID_DATA" in gallery
    assert asset["error"]["message"] in gallery.replace("&#x27;", "'").replace("&quot;", '"')
    assert emulator.images(PRODUCTION) == []


def test_a_rate_limited_push_waits_and_then_goes_live(fresh_stack):
    stack, emulator = fresh_stack, fresh_stack.emulator
    designer = stack.sign_in("designer@example.com")
    emulator.add_fault(path="/images$", method="POST", status=429, retry_after=1, count=2)

    files = stack.upload(designer, "production", [("busy.png", images.png(colour=(9, 9, 9)))]).json()
    asset_id = files["files"][0]["asset"]

    (asset,) = stack.wait_for(designer, "production", [asset_id], {"live"})
    assert len(emulator.images(PRODUCTION)) == 1
    detail = designer.get(f"{stack.url}/assets/{asset_id}/", timeout=30).text
    assert "REQUEST_LIMITED" in detail  # the history keeps each transient failure


def test_the_outsider_sees_no_environment_and_gets_404_everywhere(stack):
    designer = stack.sign_in("designer@example.com")
    staged = stack.upload(designer, "production", [("x.png", images.png(colour=(7, 7, 7)))]).json()
    asset_id = staged["files"][0]["asset"]
    outsider = stack.sign_in("outsider@example.com")

    home = outsider.get(f"{stack.url}/", timeout=30)
    assert "No access yet" in home.text
    assert "/environments/" not in home.text

    token = stack.csrf(outsider)
    for method, path in [
        ("get", "/environments/production/"),
        ("get", "/environments/production/upload/"),
        ("post", "/environments/production/upload/"),
        ("get", "/environments/production/assets.json"),
        ("get", f"/assets/{asset_id}/"),
        ("get", f"/assets/{asset_id}/file/"),
        ("post", f"/assets/{asset_id}/retry/"),
    ]:
        response = getattr(outsider, method)(
            f"{stack.url}{path}",
            headers={"X-CSRFToken": token},
            allow_redirects=False,
            timeout=30,
            files=[("files", ("y.png", images.png()))] if method == "post" else None,
        )
        assert response.status_code == 404, (method, path, response.status_code)


def test_a_designer_cannot_reach_an_environment_their_groups_do_not_grant_and_an_admin_reaches_all(stack):
    designer = stack.sign_in("designer@example.com")
    home = designer.get(f"{stack.url}/", timeout=30).text
    assert "/environments/production/" in home and "/environments/staging/" in home
    assert "/environments/secret/" not in home
    for path in ["/environments/secret/", "/environments/secret/assets.json", "/environments/secret/upload/"]:
        assert designer.get(f"{stack.url}{path}", allow_redirects=False, timeout=30).status_code == 404

    admin = stack.sign_in("admin@example.com")
    home = admin.get(f"{stack.url}/", timeout=30).text
    for slug in ["production", "staging", "secret"]:
        assert f"/environments/{slug}/" in home
        assert admin.get(f"{stack.url}/environments/{slug}/", timeout=30).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(stack):
    import requests

    for path in ["/environments/production/", "/environments/production/assets.json", "/assets/1/"]:
        response = requests.get(f"{stack.url}{path}", allow_redirects=False, timeout=30)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login/")
    landing = requests.get(f"{stack.url}/", timeout=30)
    assert "Sign in with PingOne" in landing.text


def test_sign_out_ends_the_pingone_session_too(stack):
    session = stack.sign_in("designer@example.com")
    token = stack.csrf(session)

    landed = session.post(f"{stack.url}/logout/", headers={"X-CSRFToken": token}, timeout=30)

    assert landed.url.split("?")[0] == f"{stack.url}/"
    assert "Sign in with PingOne" in landed.text
    assert any("/signoff" in r.headers.get("Location", "") for r in landed.history)
    # The provider forgot us: signing in again asks for the password.
    again = session.get(f"{stack.url}/login/", timeout=30)
    assert again.url.startswith(stack.emulator.base_url)
    assert {"username", "password"} <= set(parse_form(again.text).fields)


def test_the_gallery_lists_newest_first_and_assets_json_pages(fresh_stack):
    stack = fresh_stack
    designer = stack.sign_in("designer@example.com")
    # More than one page (24) of assets, so following `next` has to reach a second page.
    batch = [(f"b{n}.png", images.png(size=(2, 2), colour=(n, 13, 0))) for n in range(25)]
    first = stack.upload(designer, "staging", batch).json()["files"]
    second = stack.upload(designer, "staging", [("second.png", images.png(colour=(12, 0, 0)))]).json()
    uploaded = {f["asset"] for f in first} | {second["files"][0]["asset"]}
    assert None not in uploaded and len(uploaded) == 26

    page1 = designer.get(f"{stack.url}/environments/staging/assets.json", timeout=30).json()
    assert len(page1["assets"]) == 24 and page1["next"]
    assert page1["assets"][0]["id"] == second["files"][0]["asset"]  # newest first
    page2 = designer.get(page1["next"], timeout=30).json()
    assert page2["assets"] and not {a["id"] for a in page1["assets"]} & {a["id"] for a in page2["assets"]}

    listed = stack.assets(designer, "staging")
    ids = [a["id"] for a in listed]
    assert len(ids) == len(set(ids)) and uploaded <= set(ids)
    created = [a["created_at"] for a in listed]
    assert created == sorted(created, reverse=True)
    assert set(listed[0]) >= {
        "id",
        "filename",
        "status",
        "pingone_image_id",
        "targets",
        "error",
        "sha256",
        "width",
        "height",
        "created_at",
    }


def test_healthz_tells_anonymous_callers_only_ok_and_admins_every_check(stack):
    import requests

    health = requests.get(f"{stack.url}/healthz/", timeout=30)
    assert health.status_code == 200 and health.json() == {"ok": True}
    admin = stack.sign_in("admin@example.com")
    body = admin.get(f"{stack.url}/healthz/", timeout=30).json()
    assert body["ok"] is True
    assert all(body[name]["ok"] for name in ("database", "redis", "worker", "pingone")), body


def folder_bytes(folder):
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def send_announcing(stack, path, length, cookies="", sent=1_000_000):
    """POST headers announcing `length` bytes, send only `sent` of them, return the status line."""
    import socket

    host, port = "127.0.0.1", stack.port
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookies}\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {length}\r\n"
            f"Accept: application/json\r\n\r\n".encode()
        )
        try:
            sock.sendall(b"--xyz\r\n" + b"\0" * sent)
        except OSError:
            pass  # the server may already have answered and closed
        return sock.recv(65536).decode("latin-1").split("\r\n", 1)[0]


def test_a_300_mb_upload_is_refused_before_the_server_reads_it(stack):
    designer = stack.sign_in("designer@example.com")
    cookies = "; ".join(f"{c.name}={c.value}" for c in designer.cookies)
    tmp = stack.workdir / "tmp"
    before = folder_bytes(tmp)

    status = send_announcing(stack, "/environments/production/upload/", 300_000_000, cookies)

    assert " 413 " in status, status
    assert folder_bytes(tmp) - before < 100_000


def test_an_anonymous_upload_is_refused_before_the_server_reads_it(stack):
    tmp = stack.workdir / "tmp"
    before = folder_bytes(tmp)
    status = send_announcing(stack, "/environments/production/upload/", 20_000_000)
    assert " 401 " in status, status
    assert folder_bytes(tmp) - before < 100_000


def test_more_files_than_the_limit_refuse_the_whole_request(stack):
    designer = stack.sign_in("designer@example.com")
    before = len(stack.assets(designer, "staging", status="queued"))
    tiny = images.png(size=(2, 2))

    answer = stack.upload(designer, "staging", [(f"{n}.png", tiny) for n in range(101)])

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_many_files"
    assert "100" in answer.json()["error"]["message"]
    assert len(stack.assets(designer, "staging", status="queued")) == before


def test_a_worker_started_with_no_queue_argument_consumes_every_queue_and_logs_like_the_web(stack):
    from celery import Celery

    from portal.celery import app

    # The stack's worker is started as `celery -A portal worker` with no -Q.
    probe = Celery("probe", broker=stack.env["REDIS_URL"])
    replies = probe.control.inspect(timeout=5).active_queues() or {}
    consumed = {queue["name"] for queues in replies.values() for queue in queues}
    routed = {
        app.amqp.router.route({}, name)["queue"].name
        for name in ("images_app.push_asset", "images_app.recover_stalled")
    }
    assert routed <= consumed, (routed, consumed)
    # Worker lines use the portal's LOGGING format: "<date> <time> LEVEL logger message".
    lines = [line for line in stack.output("worker").splitlines() if " ready." in line]
    assert lines and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO celery\.", lines[0]), lines
