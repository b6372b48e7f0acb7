"""Safe defaults and hardening: debug off, deploy checks, bounded requests, headers, the admin,
hosts, bounded searches and links that can only be PingOne's https ones."""

import io
import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from images_app.models import Asset, Status
from portal.request_limits import max_upload_body
from tests import images
from tests.emulator_support import REPO_ROOT

JSON = {"HTTP_ACCEPT": "application/json"}
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-with-enough-variety-0123456789",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
}


def run_python(code, **env):
    """Run code in a fresh interpreter with only the given Django variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_asked_for_and_production_needs_a_secret_key():
    shown = run_python(
        "import portal.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)",
        DJANGO_SECRET_KEY=PRODUCTION_ENV["DJANGO_SECRET_KEY"],
    )
    assert shown.stdout.split() == ["False", "True", "True"], shown.stderr
    refused = run_python("import portal.settings")
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY must be set" in refused.stderr


def test_the_deploy_checklist_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, **PRODUCTION_ENV},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.fixture
def designer_client(client, designer, environments, staging_storage):
    client.force_login(designer)
    return client


def post_claiming(client, path, length, **extra):
    """A POST whose headers announce `length` bytes; reading any of the body would fail."""
    return client.generic(
        "POST", path, b"", content_type=MULTIPART_CONTENT, CONTENT_LENGTH=str(length), **extra
    )


def test_an_upload_body_larger_than_the_page_can_send_is_refused_before_it_is_read(designer_client):
    response = post_claiming(designer_client, "/environments/production/upload/", 300_000_000, **JSON)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert max_upload_body() < 300_000_000


def test_a_large_post_anywhere_else_is_refused_before_it_is_read(designer_client, stage):
    asset = stage()
    response = post_claiming(designer_client, f"/assets/{asset.pk}/retry/", 5_000_000)
    assert response.status_code == 413
    assert "larger than the portal accepts" in response.content.decode()


def test_an_anonymous_upload_is_refused_without_reading_the_body(client, environments):
    page = post_claiming(client, "/environments/production/upload/", 20_000_000)
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    api = post_claiming(client, "/environments/production/upload/", 20_000_000, **JSON)
    assert api.status_code == 401 and api.json()["error"]["code"] == "sign_in_required"


def test_a_file_part_over_the_limit_is_cut_off_while_it_streams(settings):
    settings.PORTAL_MAX_IMAGE_BYTES = 1_000_000
    huge = images.png() + b"\0" * 30_000_000
    body = encode_multipart(
        BOUNDARY,
        {"files": [SimpleUploadedFile("huge.png", huge), SimpleUploadedFile("ok.png", images.png())]},
    )
    request = RequestFactory().generic("POST", "/", body, content_type=MULTIPART_CONTENT)
    _, files = MultiPartParser(request.META, io.BytesIO(body), request.upload_handlers).parse()

    cut, ok = files.getlist("files")
    assert cut.size == len(huge)  # the size on the wire, for the refusal's message
    assert os.fstat(cut.file.fileno()).st_size == 1_000_001  # all that was ever written
    assert ok.read() == images.png()


def test_a_file_over_the_limit_is_answered_file_too_large_and_the_others_as_usual(designer_client, settings):
    settings.PORTAL_MAX_IMAGE_BYTES = 1_000_000
    huge = images.png() + b"\0" * 3_000_000
    response = designer_client.post(
        "/environments/production/upload/",
        {
            "files": [
                SimpleUploadedFile("huge.png", huge),
                SimpleUploadedFile("ok.png", images.png()),
            ]
        },
        **JSON,
    )
    answers = response.json()["files"]
    assert [(a["filename"], a["result"], a["code"]) for a in answers] == [
        ("huge.png", "rejected", "file_too_large"),
        ("ok.png", "staged", None),
    ]
    assert f"The file is {len(huge):,} bytes" in answers[0]["message"]


@pytest.mark.parametrize("path", ["/", "/login/", "/healthz/", "/static/portal/portal.css"])
def test_every_answer_carries_the_security_headers(client, db, pingone, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_hsts_is_sent_over_https_when_the_portal_is_served_securely(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_carries_inline_script_or_style():
    for template in (REPO_ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "<style" not in text and " style=" not in text, template
        for tag in text.split("<script")[1:]:
            assert tag.lstrip().startswith("src="), template


def test_a_signed_in_designer_gets_403_at_the_admin(client, designer):
    client.force_login(designer)
    for path in ["/admin/", "/admin/images_app/asset/", "/admin/login/"]:
        assert client.get(path).status_code == 403, path


def test_the_admin_signs_people_in_through_pingone_only(client, admin_user, db):
    for path in ["/admin/", "/admin/login/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    refused = client.post("/admin/login/", {"username": admin_user.username, "password": "x"})
    assert refused.status_code == 302 and refused["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_a_disallowed_host_gets_400_with_the_portals_error_page(client, db):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "does not answer to that host name" in response.content.decode()


def test_a_very_long_search_is_refused_with_a_clear_message(designer_client):
    long = "x" * 50_000
    page = designer_client.get("/environments/production/", {"q": long})
    assert page.status_code == 400 and "at most 200 characters" in page.content.decode()
    api = designer_client.get("/environments/production/assets.json", {"q": long}, **JSON)
    assert api.status_code == 400 and api.json()["error"]["code"] == "bad_search"
    assert designer_client.get("/environments/production/", {"q": "x" * 200}).status_code == 200


@pytest.mark.parametrize("href", ["javascript:alert(1)", "http://uploads.example/a.png", "//evil/a.png"])
def test_only_https_links_from_pingone_are_rendered(designer_client, stage, settings, href):
    settings.PORTAL_ALLOW_HTTP_IMAGE_LINKS = False
    asset = stage()
    Asset.objects.filter(pk=asset.pk).update(
        status=Status.LIVE,
        pingone_image_id="img-1",
        targets={"original": {"id": "o", "width": 1, "height": 1, "type": "png", "href": href}},
    )

    gallery = designer_client.get("/environments/production/").content.decode()
    detail = designer_client.get(f"/assets/{asset.pk}/").content.decode()
    listed = designer_client.get("/environments/production/assets.json").json()["assets"][0]

    assert href not in gallery and href not in detail
    assert listed["href"] is None and listed["thumbnail"] == f"/assets/{asset.pk}/file/"


def test_an_https_link_from_pingone_is_rendered(designer_client, stage, settings):
    settings.PORTAL_ALLOW_HTTP_IMAGE_LINKS = False
    asset = stage()
    href = "https://uploads.pingone.com/environments/e/images/i.png"
    Asset.objects.filter(pk=asset.pk).update(
        status=Status.LIVE,
        pingone_image_id="img-1",
        targets={"original": {"id": "o", "width": 1, "height": 1, "type": "png", "href": href}},
    )
    gallery = designer_client.get("/environments/production/").content.decode()
    assert f'src="{href}"' in gallery and f'href="{href}"' in gallery
