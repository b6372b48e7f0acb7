"""Retry, approve and reject: who may do each, and what each does to the asset."""

import pytest

from images_app.models import Asset, Status
from tests import images

JSON = {"HTTP_ACCEPT": "application/json"}


def failed(asset):
    Asset.objects.filter(pk=asset.pk).update(
        status=Status.FAILED, attempts=3, error_code="INVALID_DATA", error_message="bad"
    )
    asset.refresh_from_db()
    return asset


def test_the_uploader_can_retry_a_failed_push(client, designer, stage):
    asset = failed(stage())
    client.force_login(designer)

    response = client.post(f"/assets/{asset.pk}/retry/", **JSON)

    assert response.status_code == 200
    assert response.json()["asset"]["status"] == "queued"
    asset.refresh_from_db()
    assert (asset.status, asset.attempts) == (Status.QUEUED, 0)
    event = asset.events.first()
    assert (event.from_status, event.to_status, event.actor) == ("failed", "queued", designer)


def test_someone_else_in_the_environment_cannot_retry_but_an_admin_can(client, make_user, admin_user, stage):
    asset = failed(stage())
    colleague = make_user("colleague@example.com", ["Branding"])
    client.force_login(colleague)
    refused = client.post(f"/assets/{asset.pk}/retry/", **JSON)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "forbidden",
        "message": "Only the uploader or an admin can retry.",
    }
    page = client.post(f"/assets/{asset.pk}/retry/")
    assert page.status_code == 403 and "Only the uploader or an admin" in page.content.decode()
    client.force_login(admin_user)
    assert client.post(f"/assets/{asset.pk}/retry/").status_code == 302
    asset.refresh_from_db()
    assert asset.status == Status.QUEUED


def test_only_a_failed_asset_can_be_retried(client, designer, stage):
    asset = stage()
    client.force_login(designer)
    response = client.post(f"/assets/{asset.pk}/retry/", **JSON)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_actions_are_post_only(client, designer, stage):
    asset = failed(stage())
    client.force_login(designer)
    assert client.get(f"/assets/{asset.pk}/retry/").status_code == 405
    asset.refresh_from_db()
    assert asset.status == Status.FAILED


def test_an_admin_approves_an_upload_waiting_for_review(client, admin_user, stage):
    asset = stage("staging")
    client.force_login(admin_user)
    response = client.post(f"/assets/{asset.pk}/approve/", follow=True)
    assert response.status_code == 200
    asset.refresh_from_db()
    assert asset.status == Status.QUEUED
    assert client.post(f"/assets/{asset.pk}/approve/", **JSON).status_code == 409


def test_an_admin_rejects_with_a_reason_that_is_kept(client, admin_user, stage):
    asset = stage("staging")
    client.force_login(admin_user)
    refused = client.post(f"/assets/{asset.pk}/reject/", {"reason": ""}, **JSON)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "reason_required")
    response = client.post(f"/assets/{asset.pk}/reject/", {"reason": "Off-brand colours"}, **JSON)
    assert response.json()["asset"]["status"] == "rejected"
    assert Asset.objects.get(pk=asset.pk).events.first().note == "Off-brand colours"


def test_a_designer_cannot_approve_or_reject(client, designer, stage):
    asset = stage("staging")
    client.force_login(designer)
    assert client.post(f"/assets/{asset.pk}/approve/", **JSON).status_code == 403
    assert client.post(f"/assets/{asset.pk}/reject/", {"reason": "x"}, **JSON).status_code == 403
    asset.refresh_from_db()
    assert asset.status == Status.AWAITING_REVIEW


def test_the_asset_page_shows_metadata_history_and_the_right_actions(client, designer, admin_user, stage):
    asset = failed(stage())
    client.force_login(designer)
    page = client.get(f"/assets/{asset.pk}/").content.decode()
    assert asset.sha256 in page and "INVALID_DATA: bad" in page
    assert f"/assets/{asset.pk}/retry/" in page
    assert "/approve/" not in page
    waiting = stage("staging", images.png(colour=(9, 9, 9)))
    client.force_login(admin_user)
    page = client.get(f"/assets/{waiting.pk}/").content.decode()
    assert f"/assets/{waiting.pk}/approve/" in page and f"/assets/{waiting.pk}/reject/" in page


def test_a_transition_from_the_wrong_status_changes_nothing(stage):
    asset = stage()
    assert not asset.transition(Status.LIVE, from_status=Status.PUSHING)
    with pytest.raises(ValueError):
        asset.transition(Status.LIVE, from_status=Status.QUEUED)
    asset.refresh_from_db()
    assert asset.status == Status.QUEUED


def test_assets_json_filters_searches_and_pages(client, designer, stage, settings):
    settings.PORTAL_GALLERY_PAGE_SIZE = 2
    ids = [stage(data=images.png(colour=(i, 0, 0))).pk for i in range(3)]
    failed(Asset.objects.get(pk=ids[0]))
    client.force_login(designer)

    page1 = client.get("/environments/production/assets.json").json()
    assert [a["id"] for a in page1["assets"]] == [ids[2], ids[1]]
    assert page1["next"].startswith("http://testserver/environments/production/assets.json?")
    page2 = client.get(page1["next"]).json()
    assert [a["id"] for a in page2["assets"]] == [ids[0]] and page2["next"] is None
    only_failed = client.get("/environments/production/assets.json?status=failed").json()["assets"]
    assert [a["id"] for a in only_failed] == [ids[0]]
    assert only_failed[0]["error"] == {"code": "INVALID_DATA", "message": "bad"}
    sha = Asset.objects.get(pk=ids[1]).sha256
    assert [
        a["id"] for a in client.get(f"/environments/production/assets.json?q={sha}").json()["assets"]
    ] == [ids[1]]
    gallery = client.get("/environments/production/?status=failed").content.decode()
    assert "INVALID_DATA: bad" in gallery


def test_a_polling_gallery_gets_only_the_assets_it_asks_for_and_only_its_own(
    client, designer, stage, admin_user
):
    mine = [stage(data=images.png(colour=(i, 9, 0))) for i in range(3)]
    elsewhere = stage("secret", images.png(colour=(4, 9, 0)), user=admin_user)
    client.force_login(designer)

    ids = f"{mine[0].pk},{mine[2].pk},{elsewhere.pk},x"
    answer = client.get(f"/environments/production/assets.json?ids={ids}").json()

    assert sorted(a["id"] for a in answer["assets"]) == [mine[0].pk, mine[2].pk]
    assert all(a["pending"] is True for a in answer["assets"])
