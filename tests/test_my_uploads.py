"""My uploads: the uploader's own images across environments, what needs attention first, with reasons."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from images_app import services
from images_app.models import Asset, Status
from tests import images

JSON = {"HTTP_ACCEPT": "application/json"}


def upload(stage, slug, n, *, hours_ago, status=None, user=None, **changes):
    """Stage image number `n` in `slug`, then set when it was uploaded (and its status)."""
    asset = stage(slug, data=images.png(size=(16 + n, 16)), name=f"image-{n}.png", user=user)
    if status:
        changes["status"] = status
    Asset.objects.filter(pk=asset.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_ago), **changes
    )
    asset.refresh_from_db()
    return asset


@pytest.fixture
def uploads(stage, designer, admin_user, make_user, environments):
    """The designer's uploads in every state, a colleague's, and one where the designer lost access."""
    failed = upload(
        stage,
        "production",
        1,
        hours_ago=5,
        status=Status.FAILED,
        error_code="INVALID_DATA",
        error_message="The image is corrupt.",
    )
    rejected = upload(stage, "staging", 2, hours_ago=4)
    services.reject(rejected, admin_user, "The logo is blurry.")
    awaiting = upload(stage, "staging", 3, hours_ago=3)
    queued = upload(stage, "production", 4, hours_ago=2)
    live = upload(stage, "production", 5, hours_ago=1, status=Status.LIVE)
    colleague = make_user("colleague@example.com", ["Branding"])
    upload(stage, "production", 6, hours_ago=0, status=Status.FAILED, user=colleague, error_code="X")
    secret_team = Group.objects.get(name="Secret Team")
    designer.groups.add(secret_team)
    upload(stage, "secret", 7, hours_ago=0, status=Status.FAILED, error_code="X")
    designer.groups.remove(secret_team)
    return {"failed": failed, "rejected": rejected, "awaiting": awaiting, "queued": queued, "live": live}


def listed_ids(page):
    return [int(i) for i in re.findall(r'data-asset-id="(\d+)"', page.content.decode())]


def card(page, asset):
    html = page.content.decode()
    start = html.index(f'data-asset-id="{asset.pk}"')
    return html[start : html.index("</li>", start)]


def test_a_designer_sees_only_their_own_uploads_needing_attention_first_newest_first(
    client, designer, uploads
):
    client.force_login(designer)

    page = client.get("/my-uploads/")

    assert page.status_code == 200
    expected = ["awaiting", "rejected", "failed", "live", "queued"]
    assert listed_ids(page) == [uploads[name].pk for name in expected]


def test_failed_and_rejected_uploads_show_their_reason(client, designer, uploads):
    client.force_login(designer)

    page = client.get("/my-uploads/")

    assert "INVALID_DATA: The image is corrupt." in card(page, uploads["failed"])
    rejected = card(page, uploads["rejected"])
    assert "rejected: The logo is blurry." in rejected
    assert "Rejected" in rejected and "Staging" in rejected
    assert "<img" not in rejected  # its staged file is gone
    assert f'src="/assets/{uploads["failed"].pk}/file/"' in card(page, uploads["failed"])
    assert 'class="error"' not in card(page, uploads["awaiting"])


def test_the_counts_at_the_top_name_what_needs_attention_and_link_to_the_filter(client, designer, uploads):
    client.force_login(designer)

    html = client.get("/my-uploads/").content.decode()

    counts = re.search(r'data-testid="attention-counts">(.*?)</p>', html).group(1)
    assert re.sub(r"<[^>]+>", "", counts) == "1 failed, 1 rejected, 1 waiting for review"
    assert 'href="?status=failed"' in counts and 'href="?status=awaiting_review"' in counts


def test_the_status_filter_lists_only_that_status_and_an_unknown_one_is_ignored(client, designer, uploads):
    client.force_login(designer)

    assert listed_ids(client.get("/my-uploads/", {"status": "failed"})) == [uploads["failed"].pk]
    assert listed_ids(client.get("/my-uploads/", {"status": "live"})) == [uploads["live"].pk]
    assert len(listed_ids(client.get("/my-uploads/", {"status": "bogus"}))) == 5


def test_json_lists_the_same_uploads_with_their_environment(client, designer, uploads):
    client.force_login(designer)

    body = client.get("/my-uploads/", {"status": "rejected"}, **JSON).json()

    [asset] = body["assets"]
    assert (asset["id"], asset["environment"], asset["status"]) == (
        uploads["rejected"].pk,
        "staging",
        "rejected",
    )
    assert asset["error"] == {"code": "rejected", "message": "The logo is blurry."}
    assert body["counts"] == {"failed": 1, "rejected": 1, "awaiting_review": 1}
    assert len(client.get("/my-uploads/", **JSON).json()["assets"]) == 5


def test_the_list_is_paginated(client, designer, uploads, settings):
    settings.PORTAL_GALLERY_PAGE_SIZE = 2
    client.force_login(designer)

    first = client.get("/my-uploads/", **JSON).json()
    last = client.get("/my-uploads/", {"page": 3}, **JSON).json()

    assert [a["id"] for a in first["assets"]] == [uploads["awaiting"].pk, uploads["rejected"].pk]
    assert first["next"].endswith("/my-uploads/?page=2")
    assert ([a["id"] for a in last["assets"]], last["next"]) == ([uploads["queued"].pk], None)


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/my-uploads/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_uploader_who_may_open_no_environment_any_more_sees_none_of_their_uploads(
    client, designer, uploads
):
    designer.groups.clear()
    client.force_login(designer)

    html = client.get("/my-uploads/").content.decode()
    body = client.get("/my-uploads/", **JSON).json()

    assert listed_ids(client.get("/my-uploads/")) == []
    assert "No uploads here yet." in html
    counts = re.search(r'data-testid="attention-counts">(.*?)</p>', html).group(1)
    assert counts == "0 failed, 0 rejected, 0 waiting for review"
    assert (body["assets"], body["counts"]) == ([], {"failed": 0, "rejected": 0, "awaiting_review": 0})


def test_my_uploads_fetches_its_own_cards_on_their_way_and_never_anyone_elses(client, designer, uploads):
    client.force_login(designer)
    others = Asset.objects.exclude(pk__in=[a.pk for a in uploads.values()])  # a colleague's, a lost one
    asked = [uploads["queued"].pk, uploads["failed"].pk, *others.values_list("pk", flat=True)]

    cards = client.get("/my-uploads/cards/", {"ids": ",".join(map(str, asked))})

    assert cards.status_code == 200 and "no-cache" in cards["Cache-Control"]
    assert listed_ids(cards) == [uploads["failed"].pk, uploads["queued"].pk]  # as the page orders them
    # Drawn as My uploads draws them: the environment, and the reason with PingOne's code.
    assert card(cards, uploads["queued"]) == card(client.get("/my-uploads/"), uploads["queued"])
    assert "INVALID_DATA: The image is corrupt." in card(cards, uploads["failed"])
    assert listed_ids(client.get("/my-uploads/cards/")) == []


def test_my_uploads_follows_its_cards_with_the_gallerys_script(client, designer, uploads):
    client.force_login(designer)

    html = client.get("/my-uploads/").content.decode()

    assert 'data-cards-url="/my-uploads/cards/"' in html and "portal/gallery.js" in html
    assert "data-follows-new" not in html  # its order is not the newest first: no new cards at the top
