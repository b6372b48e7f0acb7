"""Uploading: what each file's answer says, what gets staged and queued, and who may upload."""

import hashlib

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from images_app import services
from images_app.models import Asset, AuditEvent, Status
from tests import images

JSON = {"HTTP_ACCEPT": "application/json"}


def files(*pairs):
    return [SimpleUploadedFile(name, data) for name, data in pairs]


@pytest.fixture
def designer_client(client, designer, environments, staging_storage):
    client.force_login(designer)
    return client


def post_upload(client, slug, pairs, **extra):
    return client.post(f"/environments/{slug}/upload/", {"files": files(*pairs)}, **{**JSON, **extra})


def test_each_file_gets_an_answer_in_request_order(designer_client):
    response = post_upload(
        designer_client,
        "production",
        [
            ("good.png", images.png()),
            ("notes.txt", b"hello"),
            ("empty.gif", b""),
            ("photo.jpg", images.jpeg()),
        ],
    )

    assert response.status_code == 200
    answers = response.json()["files"]
    assert [(a["filename"], a["result"], a["code"]) for a in answers] == [
        ("good.png", "staged", None),
        ("notes.txt", "rejected", "unsupported_format"),
        ("empty.gif", "rejected", "empty_file"),
        ("photo.jpg", "staged", None),
    ]
    assert all(a["message"] for a in answers)
    assert answers[1]["asset"] is None
    staged = Asset.objects.get(pk=answers[0]["asset"])
    assert (staged.status, staged.format, staged.width, staged.height) == (Status.QUEUED, "png", 32, 24)
    assert staged.filename == "good.png"
    assert Asset.objects.count() == 2


def test_the_staged_file_holds_the_clean_bytes_named_by_their_sha256(designer_client, staging_storage):
    response = post_upload(designer_client, "production", [("meta.png", images.png_with_text())])
    asset = Asset.objects.get(pk=response.json()["files"][0]["asset"])
    with asset.file.open("rb") as staged:
        data = staged.read()
    assert b"secret text chunk" not in data
    assert hashlib.sha256(data).hexdigest() == asset.sha256
    assert asset.byte_size == len(data)
    assert str(staging_storage) in asset.file.path
    # The thumbnail before PingOne hosts it comes from staging.
    served = designer_client.get(f"/assets/{asset.pk}/file/")
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == data


def test_a_second_upload_of_the_same_image_is_a_duplicate_of_the_first(designer_client):
    first = post_upload(designer_client, "production", [("a.png", images.png())]).json()["files"][0]
    again = post_upload(
        designer_client,
        "production",
        [
            ("renamed.png", images.png()),
            ("b.png", images.png(colour=(1, 2, 3))),
            ("b-again.png", images.png(colour=(1, 2, 3))),
        ],
    ).json()["files"]

    assert (again[0]["result"], again[0]["asset"], again[0]["code"]) == (
        "duplicate",
        first["asset"],
        "duplicate",
    )
    assert "a.png" in again[0]["message"]
    assert again[1]["result"] == "staged"
    assert (again[2]["result"], again[2]["asset"]) == ("duplicate", again[1]["asset"])
    assert Asset.objects.count() == 2


def test_the_same_image_in_another_environment_is_not_a_duplicate(designer_client):
    post_upload(designer_client, "production", [("a.png", images.png())])
    answer = post_upload(designer_client, "staging", [("a.png", images.png())]).json()["files"][0]
    assert answer["result"] == "staged"


def test_a_rejected_image_can_be_uploaded_again(designer_client, admin_user):
    first = post_upload(designer_client, "staging", [("a.png", images.png())]).json()["files"][0]
    asset = Asset.objects.get(pk=first["asset"])
    assert asset.transition(Status.REJECTED, from_status=Status.AWAITING_REVIEW, actor=admin_user, note="no")
    again = post_upload(designer_client, "staging", [("a.png", images.png())]).json()["files"][0]
    assert again["result"] == "staged" and again["asset"] != first["asset"]


def test_an_environment_that_needs_review_keeps_uploads_waiting(designer_client):
    answer = post_upload(designer_client, "staging", [("a.png", images.png())]).json()["files"][0]
    asset = Asset.objects.get(pk=answer["asset"])
    assert asset.status == Status.AWAITING_REVIEW
    assert "review" in answer["message"]


def test_every_upload_is_audited(designer_client, designer):
    answer = post_upload(designer_client, "production", [("a.png", images.png())]).json()["files"][0]
    event = AuditEvent.objects.get(asset_id=answer["asset"])
    assert (event.actor, event.from_status, event.to_status) == (designer, "", "queued")
    assert event.actor_label == "designer@example.com"


def test_files_over_the_byte_limit_are_rejected_without_staging(designer_client, settings):
    settings.PORTAL_MAX_IMAGE_BYTES = 1000
    big = images.png(size=(200, 200), colour=(5, 5, 5)) + b"\0" * 2000
    answer = post_upload(designer_client, "production", [("big.png", big)]).json()["files"][0]
    assert (answer["result"], answer["code"]) == ("rejected", "file_too_large")
    assert "1,000" in answer["message"]
    assert Asset.objects.count() == 0


def test_too_many_files_refuse_the_whole_request(designer_client, settings):
    settings.PORTAL_MAX_FILES_PER_UPLOAD = 3
    response = post_upload(
        designer_client, "production", [(f"{i}.png", images.png(colour=(i, 0, 0))) for i in range(4)]
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_files"
    assert Asset.objects.count() == 0


def test_a_request_with_no_file_is_refused(designer_client):
    response = designer_client.post("/environments/production/upload/", {}, **JSON)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_files"


def test_a_browser_form_post_redirects_to_the_gallery_with_a_message(designer_client):
    response = designer_client.post(
        "/environments/production/upload/", {"files": files(("a.png", images.png()))}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/environments/production/"
    assert "a.png" in response.content.decode()


def test_uploads_need_a_csrf_token(designer, environments, staging_storage):
    client = Client(enforce_csrf_checks=True)
    client.force_login(designer)
    response = post_upload(client, "production", [("a.png", images.png())])
    assert response.status_code == 403
    assert Asset.objects.count() == 0
    client.get("/environments/production/upload/")
    token = client.cookies["csrftoken"].value
    ok = post_upload(client, "production", [("a.png", images.png())], HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200


@pytest.mark.parametrize("slug", ["secret", "no-such-environment"])
def test_a_designer_cannot_upload_where_their_groups_do_not_reach(designer_client, slug):
    response = post_upload(designer_client, slug, [("a.png", images.png())])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert designer_client.get(f"/environments/{slug}/upload/").status_code == 404
    assert Asset.objects.count() == 0


def test_an_admin_can_upload_anywhere(client, admin_user, environments, staging_storage):
    client.force_login(admin_user)
    answer = post_upload(client, "secret", [("a.png", images.png())]).json()["files"][0]
    assert answer["result"] == "staged"


def test_an_asset_of_another_environment_cannot_be_reached_by_its_id(
    client, make_user, environments, staging_storage, admin_user
):
    client.force_login(admin_user)
    answer = post_upload(client, "secret", [("a.png", images.png())]).json()["files"][0]
    designer = make_user("designer@example.com", ["Branding"])
    client.force_login(designer)
    for path in [f"/assets/{answer['asset']}/", f"/assets/{answer['asset']}/file/"]:
        assert client.get(path).status_code == 404
    assert client.post(f"/assets/{answer['asset']}/retry/").status_code == 404


def test_the_home_page_counts_assets_per_status(designer_client):
    post_upload(designer_client, "production", [("a.png", images.png()), ("b.gif", images.gif())])
    post_upload(designer_client, "staging", [("a.png", images.png())])
    response = designer_client.get("/")
    counts = {
        e.slug: (e.total, e.count_queued, e.count_awaiting_review) for e in response.context["environments"]
    }
    assert counts == {"production": (2, 2, 0), "staging": (1, 0, 1)}
    # Shown in the table's column order: awaiting review, queued, pushing, live, failed, ...
    shown = {e.slug: e.status_counts for e in response.context["environments"]}
    statuses = ["awaiting_review", "queued", "pushing", "live", "failed", "rejected", "deleted"]
    assert shown == {
        "production": list(zip(statuses, [0, 2, 0, 0, 0, 0, 0], strict=True)),
        "staging": list(zip(statuses, [1, 0, 0, 0, 0, 0, 0], strict=True)),
    }
    page = response.content.decode()
    assert "Production" in page and "Staging" in page and "Secret" not in page


def test_a_signed_in_user_without_any_grant_sees_a_no_access_page(client, outsider, environments):
    client.force_login(outsider)
    page = client.get("/").content.decode()
    assert "No access yet" in page
    assert client.get("/environments/production/").status_code == 404


def test_a_user_in_two_groups_granting_one_environment_sees_true_counts(
    client, make_user, environments, staging_storage
):
    environments["production"].access_groups.add(Group.objects.create(name="Web"))
    both = make_user("both@example.com", ["Branding", "Web"])
    client.force_login(both)
    post_upload(client, "production", [("a.png", images.png()), ("b.gif", images.gif())])

    response = client.get("/")

    production = next(e for e in response.context["environments"] if e.slug == "production")
    assert (production.total, production.count_queued) == (2, 2)
    assert [e.slug for e in response.context["environments"]] == ["production", "staging"]
    assert client.get("/environments/production/").status_code == 200


def test_a_staging_store_that_fails_rejects_that_file_and_keeps_nothing(designer_client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the staging folder should be")
    settings.MEDIA_ROOT = blocker / "media"

    answer = post_upload(designer_client, "production", [("a.png", images.png())]).json()["files"][0]

    assert (answer["result"], answer["code"], answer["asset"]) == ("rejected", "storage_unavailable", None)
    assert "try again" in answer["message"]
    assert Asset.objects.count() == 0


def test_losing_a_duplicate_race_answers_duplicate_and_removes_the_losers_file(
    designer_client, designer, environments, staging_storage, monkeypatch
):
    """Two uploads of the same bytes: the other one commits between our check and our insert."""
    real_check = services._active_duplicate
    winner = {}

    def check_while_another_upload_lands(environment, sha256):
        if not winner:
            monkeypatch.setattr(services, "_active_duplicate", real_check)
            other = services.stage_upload(environment, designer, files(("theirs.png", images.png()))[0])
            winner["asset"] = other.asset
            return None  # what our check saw, a moment before theirs committed
        return real_check(environment, sha256)

    monkeypatch.setattr(services, "_active_duplicate", check_while_another_upload_lands)

    answer = post_upload(designer_client, "production", [("ours.png", images.png())]).json()["files"][0]

    assert (answer["result"], answer["code"]) == ("duplicate", "duplicate")
    assert answer["asset"] == winner["asset"].pk and "theirs.png" in answer["message"]
    assert Asset.objects.count() == 1
    staged_files = list((staging_storage / "staging" / "production").iterdir())
    assert [f.name for f in staged_files] == [winner["asset"].file.name.rsplit("/", 1)[-1]]


def test_in_a_batch_with_hostile_and_crashing_files_every_file_is_answered(designer_client, monkeypatch):
    from images_app import imaging

    real_reencode = imaging._reencode

    def crash_on_jpeg(image, fmt, *rest):
        if fmt == "jpeg":
            raise RuntimeError("a decoder bug")
        return real_reencode(image, fmt, *rest)

    monkeypatch.setattr(imaging, "_reencode", crash_on_jpeg)
    equal_frames = images.handmade_gif((8, 8), [(0, 0, 8, 8, 1)] * 4, delay=25)
    bomb = images.handmade_gif((1, 1), [(0, 0, 1, 1)] + [(0, 0, 4000, 4000)] * 6)

    response = post_upload(
        designer_client,
        "production",
        [
            ("first.png", images.png()),
            ("crash.jpg", images.jpeg()),
            ("equal.gif", equal_frames),
            ("bomb.gif", bomb),
            ("last.png", images.png(colour=(9, 9, 9))),
        ],
    )

    assert response.status_code == 200
    assert [(a["filename"], a["result"], a["code"]) for a in response.json()["files"]] == [
        ("first.png", "staged", None),
        ("crash.jpg", "rejected", "corrupt_image"),
        ("equal.gif", "staged", None),
        ("bomb.gif", "rejected", "too_many_pixels"),
        ("last.png", "staged", None),
    ]
