"""Review, delete and promote end to end: the real portal, worker, Redis and emulator."""

import time

import pytest
import requests

from tests import images
from tests.ids import PRODUCTION, STAGING

pytestmark = pytest.mark.e2e

JSON = {"Accept": "application/json"}


@pytest.fixture
def lab(fresh_stack):
    """The stack with an environment that requires review (on the emulator's Staging)."""
    fresh_stack.manage(
        "add_environment",
        "reviewed",
        STAGING,
        "--name",
        "Reviewed",
        "--groups",
        "Branding",
        "--review-required",
    )
    return fresh_stack


def post(stack, session, path, data=None):
    token = stack.csrf(session)
    return session.post(
        f"{stack.url}{path}", data=data or {}, headers={**JSON, "X-CSRFToken": token}, timeout=60
    )


def received(emulator, env_id, sha256):
    """The images the emulator holds whose received bytes have this sha256."""
    return [i for i in emulator.images(env_id) if i["received_sha256"] == sha256]


def upload_one(stack, session, slug, colour, name="logo.png"):
    answer = stack.upload(session, slug, [(name, images.png(colour=colour))]).json()["files"][0]
    assert answer["result"] == "staged", answer
    return answer["asset"]


def asset(stack, session, slug, asset_id):
    return next(a for a in stack.assets(session, slug) if a["id"] == asset_id)


def test_nothing_reaches_pingone_before_approval_and_a_rejection_never_does(lab):
    stack, emulator = lab, lab.emulator
    designer, admin = stack.sign_in("designer@example.com"), stack.sign_in("admin@example.com")
    approved_id = upload_one(stack, designer, "reviewed", (40, 1, 1), "approved.png")
    rejected_id = upload_one(stack, designer, "reviewed", (41, 1, 1), "rejected.png")
    approved = asset(stack, designer, "reviewed", approved_id)
    assert approved["status"] == "awaiting_review"
    time.sleep(1.5)  # a worker would have pushed it by now, were it queued
    assert received(emulator, STAGING, approved["sha256"]) == []

    assert post(stack, admin, f"/assets/{approved_id}/approve/").status_code == 200
    (pushed,) = stack.wait_for(designer, "reviewed", [approved_id], {"live"})
    assert len(received(emulator, STAGING, pushed["sha256"])) == 1

    rejected = post(
        stack, admin, "/review/", {"assets": [rejected_id], "action": "reject", "reason": "Old logo"}
    )
    assert rejected.json() == {"action": "reject", "done": [rejected_id], "skipped": []}
    time.sleep(1)
    shown = asset(stack, designer, "reviewed", rejected_id)
    assert shown["status"] == "rejected" and shown["error"] == {"code": "rejected", "message": "Old logo"}
    assert received(emulator, STAGING, shown["sha256"]) == []
    gallery = designer.get(f"{stack.url}/environments/reviewed/", timeout=30).text
    assert "Rejected: Old logo" in gallery


def test_five_approved_in_one_post_all_go_live_and_an_already_rejected_one_is_skipped(lab):
    stack = lab
    designer, admin = stack.sign_in("designer@example.com"), stack.sign_in("admin@example.com")
    ids = [upload_one(stack, designer, "reviewed", (50 + n, 2, 2), f"bulk{n}.png") for n in range(6)]
    # Another admin rejects the last one a moment before this admin's bulk approval.
    other = stack.sign_in("admin@example.com")
    assert post(stack, other, f"/assets/{ids[5]}/reject/", {"reason": "duplicate logo"}).status_code == 200

    answer = post(stack, admin, "/review/", {"assets": ids, "action": "approve"}).json()

    assert answer["done"] == ids[:5] and answer["skipped"] == [ids[5]]
    stack.wait_for(designer, "reviewed", ids[:5], {"live"})
    assert asset(stack, designer, "reviewed", ids[5])["status"] == "rejected"


def test_delete_takes_the_image_down_and_the_same_file_can_come_back(fresh_stack):
    stack, emulator = fresh_stack, fresh_stack.emulator
    designer, admin = stack.sign_in("designer@example.com"), stack.sign_in("admin@example.com")
    asset_id = upload_one(stack, designer, "production", (60, 3, 3), "takedown.png")
    (pushed,) = stack.wait_for(designer, "production", [asset_id], {"live"})
    image_url = f"{emulator.api_url}/environments/{PRODUCTION}/images/{pushed['pingone_image_id']}"
    bearer = {"Authorization": f"Bearer {emulator.worker_token()}"}
    assert requests.get(image_url, headers=bearer, timeout=10).status_code == 200

    answer = post(stack, admin, f"/assets/{asset_id}/delete/")

    assert answer.status_code == 200 and answer.json()["asset"]["status"] == "deleted"
    assert requests.get(image_url, headers=bearer, timeout=10).status_code == 404
    page = admin.get(f"{stack.url}/assets/{asset_id}/", timeout=30).text
    assert "admin@example.com" in page and "Deleted" in page
    again = stack.upload(designer, "production", [("again.png", images.png(colour=(60, 3, 3)))]).json()
    assert again["files"][0]["result"] == "staged"


def test_promoting_from_staging_creates_a_second_pingone_image_in_production(fresh_stack):
    stack, emulator = fresh_stack, fresh_stack.emulator
    designer = stack.sign_in("designer@example.com")
    source_id = upload_one(stack, designer, "staging", (70, 4, 4), "brand.png")
    (source,) = stack.wait_for(designer, "staging", [source_id], {"live"})

    answer = post(stack, designer, f"/assets/{source_id}/promote/", {"environments": ["production"]}).json()

    (result,) = answer["environments"]
    assert result["result"] == "staged"
    (copy,) = stack.wait_for(designer, "production", [result["asset"]], {"live"})
    assert copy["pingone_image_id"] != source["pingone_image_id"]
    assert len(received(emulator, PRODUCTION, source["sha256"])) == 1
    assert len(received(emulator, STAGING, source["sha256"])) == 1
    page = designer.get(f"{stack.url}/assets/{copy['id']}/", timeout=30).text
    assert f"/assets/{source_id}/" in page and "brand.png in Staging" in page
