"""Review, rejection, delete from PingOne and promotion: what admins and uploaders see and get."""

import pytest
from django.test import Client

from images_app import services
from images_app.models import Asset, AuditEvent, Status
from tests import images
from tests.ids import PRODUCTION

JSON = {"HTTP_ACCEPT": "application/json"}


def live(asset):
    """Push the asset to the emulator for real and return it, live."""
    assert services.push_asset(asset.pk).status == Status.LIVE
    asset.refresh_from_db()
    return asset


def events_of(asset):
    return [(e.from_status, e.to_status) for e in asset.events.order_by("id")]


# --- the review queue -----------------------------------------------------------------------


def test_the_review_queue_lists_what_waits_oldest_first_across_environments(
    client, admin_user, stage, environments
):
    environments["production"].review_required = True
    environments["production"].save()
    first = stage("staging", images.png(colour=(1, 1, 1)), "first.png")
    second = stage("production", images.png(colour=(2, 2, 2)), "second.png")
    stage("staging", images.png(colour=(3, 3, 3)), "third.png")
    client.force_login(admin_user)

    page = client.get("/review/")
    listed = [a.pk for a in page.context["page"]]
    assert listed[:2] == [first.pk, second.pk] and len(listed) == 3
    html = page.content.decode()
    assert "designer@example.com" in html and "Production" in html and "32×24" in html
    only_production = client.get("/review/", {"environment": "production"}).context["page"]
    assert [a.pk for a in only_production] == [second.pk]


def test_five_assets_are_approved_in_one_post_and_queued_to_push(client, admin_user, stage, broker):
    waiting = [stage("staging", images.png(colour=(n, 9, 9)), f"{n}.png") for n in range(5)]
    client.force_login(admin_user)

    answer = client.post("/review/", {"assets": [a.pk for a in waiting], "action": "approve"}, **JSON).json()

    assert answer == {"action": "approve", "done": [a.pk for a in waiting], "skipped": []}
    assert {a.status for a in Asset.objects.filter(pk__in=answer["done"])} == {Status.QUEUED}
    for asset in waiting:
        assert events_of(asset) == [("", "awaiting_review"), ("awaiting_review", "queued")]


def test_an_asset_another_admin_already_handled_is_skipped_not_handled_twice(
    client, admin_user, make_user, stage
):
    rejected_first, still_waiting = (
        stage("staging", images.png(colour=(1, 0, 0))),
        stage("staging", images.png(colour=(2, 0, 0))),
    )
    other_admin = make_user("other-admin@example.com", ["Image Portal Admins"])
    assert services.reject(rejected_first, other_admin, "off-brand")
    client.force_login(admin_user)

    answer = client.post(
        "/review/", {"assets": [rejected_first.pk, still_waiting.pk], "action": "approve"}, **JSON
    ).json()

    assert answer["done"] == [still_waiting.pk] and answer["skipped"] == [rejected_first.pk]
    rejected_first.refresh_from_db()
    assert rejected_first.status == Status.REJECTED
    assert events_of(rejected_first) == [("", "awaiting_review"), ("awaiting_review", "rejected")]
    page = client.post("/review/", {"assets": [rejected_first.pk], "action": "approve"}, follow=True)
    assert "Skipped 1" in page.content.decode()


def test_a_bulk_rejection_needs_a_reason(client, admin_user, stage):
    asset = stage("staging")
    client.force_login(admin_user)
    refused = client.post("/review/", {"assets": [asset.pk], "action": "reject"}, **JSON)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "reason_required"
    assert client.post("/review/", {"action": "approve"}, **JSON).status_code == 400
    asset.refresh_from_db()
    assert asset.status == Status.AWAITING_REVIEW


# --- rejection is visible -------------------------------------------------------------------


def test_a_rejection_shows_its_reason_everywhere_and_removes_the_staged_file(
    client, admin_user, designer, stage, staging_storage, django_capture_on_commit_callbacks
):
    asset = stage("staging")
    staged_path = staging_storage / asset.file.name
    assert staged_path.exists()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/assets/{asset.pk}/reject/", {"reason": "Use the 2026 logo"})

    client.force_login(designer)
    listed = client.get("/environments/staging/assets.json").json()["assets"][0]
    assert listed["status"] == "rejected"
    assert listed["error"] == {"code": "rejected", "message": "Use the 2026 logo"}
    assert "Rejected: Use the 2026 logo" in client.get("/environments/staging/").content.decode()
    assert "Use the 2026 logo" in client.get(f"/assets/{asset.pk}/").content.decode()
    assert not staged_path.exists()
    assert client.get(f"/assets/{asset.pk}/file/").status_code == 404
    asset.refresh_from_db()
    assert events_of(asset) == [("", "awaiting_review"), ("awaiting_review", "rejected")]


# --- delete from PingOne --------------------------------------------------------------------


def test_deleting_takes_the_image_down_from_pingone_and_keeps_the_row_and_history(
    client, admin_user, stage, pingone
):
    asset = live(stage("production"))
    client.force_login(admin_user)

    answer = client.post(f"/assets/{asset.pk}/delete/", **JSON)

    assert answer.status_code == 200 and answer.json()["asset"]["status"] == "deleted"
    assert pingone.images(PRODUCTION) == []
    asset.refresh_from_db()
    assert asset.status == Status.DELETED and asset.pingone_image_id
    last = asset.events.order_by("-id").first()
    assert (last.from_status, last.to_status, last.actor) == ("live", "deleted", admin_user)
    assert last.correlation_id  # PingOne's, for its support


def test_an_image_pingone_no_longer_has_is_marked_deleted_with_a_note(client, admin_user, stage, pingone):
    asset = live(stage("production"))
    pingone.reset()  # PingOne forgets every image
    client.force_login(admin_user)

    assert client.post(f"/assets/{asset.pk}/delete/", **JSON).status_code == 200

    asset.refresh_from_db()
    assert asset.status == Status.DELETED
    assert "404" in asset.events.order_by("-id").first().note


def test_a_failed_delete_leaves_the_asset_live_and_says_why(client, admin_user, stage, pingone):
    asset = live(stage("production"))
    pingone.add_fault(path="/images/", method="DELETE", status=403, count=2)
    client.force_login(admin_user)

    answer = client.post(f"/assets/{asset.pk}/delete/", **JSON)

    assert answer.status_code == 502 and "refused" in answer.json()["error"]["message"]
    asset.refresh_from_db()
    assert asset.status == Status.LIVE and len(pingone.images(PRODUCTION)) == 1
    page = client.post(f"/assets/{asset.pk}/delete/", follow=True).content.decode()
    assert "PingOne refused the delete" in page


def test_the_same_file_can_be_uploaded_again_after_its_image_was_deleted(admin_user, stage, pingone):
    asset = live(stage("production", images.png(colour=(4, 4, 4))))
    assert services.delete_from_pingone(asset, admin_user).deleted
    again = stage("production", images.png(colour=(4, 4, 4)), "again.png")
    assert again.pk != asset.pk and again.status == Status.QUEUED


def test_only_a_live_asset_can_be_deleted(client, admin_user, stage):
    asset = stage("production")
    client.force_login(admin_user)
    assert client.post(f"/assets/{asset.pk}/delete/", **JSON).status_code == 409


# --- promotion ------------------------------------------------------------------------------


def test_promoting_copies_the_clean_bytes_to_another_environment_linked_to_the_source(
    client, designer, stage, pingone, environments
):
    source = live(stage("production", images.png(colour=(5, 6, 7)), "brand.png"))
    client.force_login(designer)

    answer = client.post(
        f"/assets/{source.pk}/promote/", {"environments": ["staging", "secret", "nowhere"]}, **JSON
    ).json()

    results = {r["environment"]: r for r in answer["environments"]}
    assert results["staging"]["result"] == "awaiting_review"  # staging requires review
    assert results["secret"]["result"] == "not_allowed" and results["nowhere"]["result"] == "not_allowed"
    copy = Asset.objects.get(pk=results["staging"]["asset"])
    assert (copy.source, copy.sha256, copy.filename) == (source, source.sha256, "brand.png")
    assert copy.environment == environments["staging"] and copy.uploaded_by == designer
    assert "promoted from" in copy.events.get().note
    assert "Promoted to" in client.get(f"/assets/{source.pk}/").content.decode()
    assert "brand.png in Production" in client.get(f"/assets/{copy.pk}/").content.decode()

    again = client.post(f"/assets/{source.pk}/promote/", {"environments": ["staging"]}, **JSON).json()
    assert again["environments"][0]["result"] == "duplicate"


def test_promoting_to_an_open_environment_queues_the_push(client, admin_user, stage, pingone, broker):
    asset = stage("production", images.png(colour=(8, 8, 8)))
    source = live(asset)
    client.force_login(admin_user)
    answer = client.post(f"/assets/{source.pk}/promote/", {"environments": ["secret"]}, **JSON).json()
    assert answer["environments"][0]["result"] == "staged"
    copy = Asset.objects.get(pk=answer["environments"][0]["asset"])
    assert copy.status == Status.QUEUED
    assert live(copy).pingone_image_id != source.pingone_image_id


def test_only_a_live_asset_can_be_promoted(client, designer, stage):
    asset = stage("production")
    client.force_login(designer)
    answer = client.post(f"/assets/{asset.pk}/promote/", {"environments": ["staging"]}, **JSON)
    assert answer.status_code == 409


# --- who may do what ------------------------------------------------------------------------


def test_an_uploader_cannot_approve_reject_delete_or_open_review_and_audit(client, designer, stage, pingone):
    waiting, published = stage("staging"), live(stage("production"))
    client.force_login(designer)
    assert client.post(f"/assets/{waiting.pk}/approve/").status_code == 403
    assert client.post(f"/assets/{waiting.pk}/reject/", {"reason": "x"}).status_code == 403
    assert client.post(f"/assets/{published.pk}/delete/").status_code == 403
    assert client.get("/review/").status_code == 403
    assert client.post("/review/", {"assets": [waiting.pk], "action": "approve"}).status_code == 403
    assert client.get("/audit/").status_code == 403
    waiting.refresh_from_db()
    published.refresh_from_db()
    assert (waiting.status, published.status) == (Status.AWAITING_REVIEW, Status.LIVE)


def test_nobody_acts_on_an_asset_of_an_environment_they_are_not_granted(client, make_user, stage, pingone):
    secret = live(stage("secret"))
    colleague = make_user("colleague@example.com", ["Branding"])
    client.force_login(colleague)
    for action, data in [
        ("retry", {}),
        ("approve", {}),
        ("reject", {"reason": "x"}),
        ("delete", {}),
        ("promote", {"environments": ["production"]}),
    ]:
        assert client.post(f"/assets/{secret.pk}/{action}/", data).status_code == 404, action
    secret.refresh_from_db()
    assert secret.status == Status.LIVE


@pytest.mark.parametrize(
    "path",
    [
        "review/",
        "assets/{id}/approve/",
        "assets/{id}/reject/",
        "assets/{id}/delete/",
        "assets/{id}/promote/",
        "assets/{id}/retry/",
    ],
)
def test_every_post_without_a_csrf_token_is_refused(admin_user, stage, path):
    asset = stage("staging")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    data = {"assets": [asset.pk], "action": "approve", "reason": "x", "environments": ["production"]}
    assert client.post("/" + path.format(id=asset.pk), data).status_code == 403
    asset.refresh_from_db()
    assert asset.status == Status.AWAITING_REVIEW


# --- one audit event per state change -------------------------------------------------------


def test_every_state_change_has_exactly_one_audit_event(client, admin_user, stage, pingone):
    waiting = stage("staging", images.png(colour=(7, 7, 7)))
    assert services.approve(waiting, admin_user)
    pushed = live(waiting)
    assert services.delete_from_pingone(pushed, admin_user).deleted
    rejected = stage("staging", images.png(colour=(6, 6, 6)))
    assert services.reject(rejected, admin_user, "no")

    assert events_of(pushed) == [
        ("", "awaiting_review"),
        ("awaiting_review", "queued"),
        ("queued", "pushing"),
        ("pushing", "live"),
        ("live", "deleted"),
    ]
    assert events_of(rejected) == [("", "awaiting_review"), ("awaiting_review", "rejected")]
    assert AuditEvent.objects.count() == 7
    pushed_event = pushed.events.get(to_status="live")
    assert pushed_event.correlation_id and pushed_event.environment == pushed.environment


def test_home_counts_link_to_the_filtered_gallery_and_admins_see_what_waits(client, admin_user, stage):
    stage("staging", images.png(colour=(1, 2, 3)))
    stage("staging", images.png(colour=(3, 2, 1)))
    client.force_login(admin_user)

    home = client.get("/").content.decode()

    assert 'href="/environments/staging/?status=awaiting_review"' in home
    assert "2 uploads wait for review" in home and 'href="/review/"' in home
    filtered = client.get("/environments/staging/?status=awaiting_review").context["page"]
    assert len(filtered) == 2
