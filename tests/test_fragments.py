"""The fragments pages fetch to update themselves: gallery cards, upload outcomes, an asset's state.

Each is drawn by the same templates as the full pages, answers only for the user's environments,
and costs the same queries however many assets it draws.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from images_app.models import Asset, BrandingUse, Status
from tests import images

IMAGE_ID = "5f0f3b4c-9a7e-4c1e-8d2a-3b6c0e1f2a3b"
HREF = f"https://uploads.pingone.com/environments/e/images/{IMAGE_ID}_original.png"


def put(asset, status, **changes):
    """Move an asset to `status` (and other fields) as the pipeline would have."""
    Asset.objects.filter(pk=asset.pk).update(status=status, **changes)
    asset.refresh_from_db()
    return asset


def made_live(asset):
    return put(
        asset,
        Status.LIVE,
        pingone_image_id=IMAGE_ID,
        targets={"original": {"href": HREF}},
        pingone_created_at=datetime(2026, 2, 27, 19, 49, 36, 457000, tzinfo=UTC),
    )


def made_failed(asset):
    return put(
        asset,
        Status.FAILED,
        attempts=1,
        error_code="INVALID_DATA",
        error_message="The request could not be completed.",
    )


def card_ids(response):
    return [int(i) for i in re.findall(r'<li class="card[^"]*" id="asset-(\d+)"', response.content.decode())]


def stage_many(stage, count, start=0, slug="production"):
    return [
        stage(slug, data=images.png(size=(8 + n, 8)), name=f"logo-{n}.png")
        for n in range(start, start + count)
    ]


@pytest.fixture
def signed_in(client, designer):
    client.force_login(designer)
    return client


# --- Gallery cards ---------------------------------------------------------------------------


def test_a_gallery_gets_its_pending_cards_as_the_server_draws_them(signed_in, stage):
    queued, failed = stage(name="queued.png"), stage(data=images.png(colour=(1, 2, 3)), name="failed.png")
    made_failed(failed)

    response = signed_in.get("/environments/production/cards/", {"ids": f"{queued.pk},{failed.pk}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert card_ids(response) == [failed.pk, queued.pk]  # newest first, as the gallery lists them
    assert 'data-in-flight="1"' in html and "Queued</span>" in html
    assert "Failed</span>" in html and "INVALID_DATA: The request could not be completed." in html


def made_long_ago(asset):
    """The asset as if uploaded an hour ago: past the window in which cards are sent again."""
    Asset.objects.filter(pk=asset.pk).update(created_at=asset.created_at - timedelta(hours=1))
    return asset


def test_a_gallery_gets_the_cards_added_since_its_newest_that_match_its_filters(signed_in, stage):
    shown = made_long_ago(stage(name="shown.png"))
    newer_queued = stage(data=images.png(colour=(9, 9, 9)), name="new-queued.png")
    newer_live = made_live(stage(data=images.png(colour=(8, 8, 8)), name="new-live.png"))

    everything = signed_in.get("/environments/production/cards/", {"after": shown.pk})
    only_live = signed_in.get("/environments/production/cards/", {"after": shown.pk, "status": "live"})
    searched = signed_in.get("/environments/production/cards/", {"after": shown.pk, "q": "queued"})

    assert card_ids(everything) == [newer_live.pk, newer_queued.pk]
    assert card_ids(only_live) == [newer_live.pk]
    assert card_ids(searched) == [newer_queued.pk]


def test_a_card_whose_upload_committed_after_a_newer_one_still_reaches_the_gallery(signed_in, stage):
    # The lower id was handed out first but committed last: the gallery already shows the newer.
    late = stage(name="late.png")
    newer = stage(data=images.png(colour=(7, 7, 7)), name="newer.png")

    sent = signed_in.get("/environments/production/cards/", {"after": newer.pk})

    assert card_ids(sent) == [newer.pk, late.pk]  # sent again while recent; the page draws each once
    made_long_ago(late), made_long_ago(newer)
    assert card_ids(signed_in.get("/environments/production/cards/", {"after": newer.pk})) == []


def test_new_cards_go_only_to_the_first_page_in_newest_first_order(signed_in, stage):
    shown = made_long_ago(stage(name="shown.png"))
    stage(data=images.png(colour=(9, 9, 9)), name="new.png")

    for params in ({"page": "2"}, {"sort": "oldest"}, {"sort": "name"}):
        assert card_ids(signed_in.get("/environments/production/cards/", {"after": shown.pk, **params})) == []
    assert (
        len(card_ids(signed_in.get("/environments/production/cards/", {"after": shown.pk, "page": "1"}))) == 1
    )


def test_cards_of_another_environment_are_never_drawn(signed_in, stage, admin_user):
    mine = stage(name="mine.png")
    elsewhere = stage("staging", data=images.png(colour=(4, 4, 4)), name="elsewhere.png")
    secret = stage("secret", data=images.png(colour=(5, 5, 5)), name="secret.png", user=admin_user)

    asked = signed_in.get("/environments/production/cards/", {"ids": f"{mine.pk},{elsewhere.pk},{secret.pk}"})
    newer = signed_in.get("/environments/production/cards/", {"after": 0})

    assert card_ids(asked) == [mine.pk]
    assert card_ids(newer) == [mine.pk]
    assert signed_in.get("/environments/secret/cards/", {"ids": secret.pk}).status_code == 404
    assert signed_in.get("/environments/nowhere/cards/").status_code == 404


def test_fragments_send_an_anonymous_visitor_to_sign_in(client, stage):
    asset = stage()
    for path in (
        "/environments/production/cards/",
        "/environments/production/upload/outcomes/",
        f"/assets/{asset.pk}/state/",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_a_search_too_long_is_refused_with_a_message(signed_in, environments):
    response = signed_in.get("/environments/production/cards/", {"q": "x" * 201})
    assert response.status_code == 400


def test_ids_that_are_not_numbers_are_ignored(signed_in, stage):
    asset = stage()
    response = signed_in.get("/environments/production/cards/", {"ids": f"x,{asset.pk},,-3,1e9"})
    assert card_ids(response) == [asset.pk]


# --- Cards: what they show --------------------------------------------------------------------


def drawn(response, asset, closing="</li>"):
    """One asset's card (or, closing with </div>, its upload outcome) in a page or fragment."""
    html = response.content.decode()
    return html[html.index(f'data-asset-id="{asset.pk}"') :].split(closing, 1)[0]


def test_a_fetched_card_is_drawn_as_the_gallery_drew_it(signed_in, stage):
    queued = stage(name="queued.png")
    live = made_live(stage(data=images.png(colour=(4, 5, 6)), name="live.png"))
    failed = made_failed(stage(data=images.png(colour=(7, 8, 9)), name="failed.png"))
    ids = ",".join(str(a.pk) for a in (queued, live, failed))

    gallery = signed_in.get("/environments/production/")
    fetched = signed_in.get("/environments/production/cards/", {"ids": ids})

    for asset in (queued, live, failed):
        assert drawn(fetched, asset) == drawn(gallery, asset), asset.filename


def test_a_card_not_yet_live_has_no_copy_button_and_no_empty_link(signed_in, stage):
    queued = stage(name="queued.png")

    html = drawn(signed_in.get("/environments/production/"), queued)

    assert "button" not in html
    assert 'href=""' not in html and "data-copy" not in html
    assert re.findall(r'href="([^"]*)"', html) == [f"/assets/{queued.pk}/"]  # one tab stop: one link


def test_a_live_card_shows_the_full_id_and_link_each_with_a_copy_button(signed_in, stage):
    live = made_live(stage(name="live.png"))

    html = drawn(signed_in.get("/environments/production/"), live)

    assert f"<code>{IMAGE_ID}</code>" in html and f'data-copy="{IMAGE_ID}"' in html
    assert f">{HREF}</a>" in html and f'data-copy="{HREF}"' in html  # not cut short
    assert html.count(f'href="/assets/{live.pk}/"') == 1


def test_a_card_names_its_uploader_and_date(signed_in, stage, designer):
    asset = stage(name="logo.png")
    Asset.objects.filter(pk=asset.pk).update(created_at=datetime(2026, 11, 29, 14, 3, 7, tzinfo=UTC))

    html = drawn(signed_in.get("/environments/production/"), asset)

    assert '<span data-field="uploaded_by">designer@example.com</span>' in html
    assert ">2026-11-29 14:03:07 UTC</time>" in html
    assert 'datetime="2026-11-29T14:03:07+00:00"' in html


def test_badges_are_one_tag_with_the_status_label_on_every_page(signed_in, stage):
    asset = stage("staging", name="waiting.png")
    badge = '<span class="badge status-awaiting_review" data-field="status">Awaiting review</span>'

    for path in (
        "/environments/staging/",
        f"/assets/{asset.pk}/",
        "/my-uploads/",
        f"/assets/{asset.pk}/state/",
    ):
        assert badge in signed_in.get(path).content.decode(), path
    outcome = signed_in.get("/environments/staging/upload/outcomes/", {"ids": asset.pk})
    assert badge in outcome.content.decode()


# --- Upload outcomes ------------------------------------------------------------------------


def outcome_of(response, asset):
    return drawn(response, asset, "</div>")


def test_an_upload_row_follows_its_asset_until_it_is_live_failed_rejected_or_waiting(
    signed_in, stage, admin_user
):
    queued = stage(name="queued.png")
    live = made_live(stage(data=images.png(colour=(1, 1, 1)), name="live.png"))
    failed = made_failed(stage(data=images.png(colour=(2, 2, 2)), name="failed.png"))
    ids = ",".join(str(a.pk) for a in (queued, live, failed))

    response = signed_in.get("/environments/production/upload/outcomes/", {"ids": ids})

    assert 'data-in-flight="1"' in outcome_of(response, queued)
    assert "On its way to PingOne." in outcome_of(response, queued)
    assert 'data-in-flight="0"' in outcome_of(response, live) and "Live</span>" in outcome_of(response, live)
    failed_row = outcome_of(response, failed)
    assert 'data-in-flight="0"' in failed_row and "Failed</span>" in failed_row
    assert "INVALID_DATA: The request could not be completed." in failed_row
    assert f'href="/assets/{failed.pk}/"' in failed_row and "View and retry" in failed_row


def test_an_upload_row_stops_following_at_review_and_shows_a_rejection_reason(signed_in, stage, admin_user):
    from images_app import services

    waiting = stage("staging", name="waiting.png")
    rejected = stage("staging", data=images.png(colour=(3, 3, 3)), name="rejected.png")
    services.reject(rejected, admin_user, "Use the 2026 logo.")

    response = signed_in.get("/environments/staging/upload/outcomes/", {"ids": f"{waiting.pk},{rejected.pk}"})

    assert 'data-in-flight="0"' in outcome_of(response, waiting)
    assert "Waiting for an admin's review." in outcome_of(response, waiting)
    assert "Reason: Use the 2026 logo." in outcome_of(response, rejected)


def test_a_retried_push_says_why_it_is_trying_again(signed_in, stage):
    asset = put(stage(), Status.QUEUED, attempts=1, error_code="REQUEST_LIMITED", error_message="Slow down.")

    row = outcome_of(signed_in.get("/environments/production/upload/outcomes/", {"ids": asset.pk}), asset)

    assert 'data-in-flight="1"' in row and "REQUEST_LIMITED: Slow down.; trying again." in row


def test_an_animated_gif_row_says_pingone_will_store_a_still_image(signed_in, stage):
    asset = stage(data=images.animated_gif(), name="spinner.gif")
    assert asset.frames > 1

    row = outcome_of(signed_in.get("/environments/production/upload/outcomes/", {"ids": asset.pk}), asset)

    assert "PingOne will store a still image" in row


def test_upload_outcomes_answer_only_for_the_users_environments(signed_in, stage, admin_user):
    secret = stage("secret", name="secret.png", user=admin_user)

    assert signed_in.get("/environments/secret/upload/outcomes/", {"ids": secret.pk}).status_code == 404
    other = signed_in.get("/environments/production/upload/outcomes/", {"ids": secret.pk})
    assert other.status_code == 200 and other.content.strip() == b""


# --- The asset page's state ---------------------------------------------------------------------


def test_an_asset_state_fragment_shows_the_failure_with_pingones_code_and_the_retry(signed_in, stage):
    asset = made_failed(stage())

    html = signed_in.get(f"/assets/{asset.pk}/state/").content.decode()

    assert 'data-pending="0"' in html and "Failed</span>" in html
    assert "INVALID_DATA: The request could not be completed." in html
    assert f'action="/assets/{asset.pk}/retry/"' in html and "csrfmiddlewaretoken" in html


def test_a_pending_asset_page_carries_its_state_url_and_says_it_is_pending(signed_in, stage):
    asset = stage()

    html = signed_in.get(f"/assets/{asset.pk}/").content.decode()

    assert f'data-state-url="/assets/{asset.pk}/state/"' in html
    assert 'data-pending="1"' in html and 'data-in-flight="1"' in html
    assert "portal/asset.js" in html


def test_an_asset_of_another_environment_has_no_state_fragment(signed_in, stage, admin_user):
    secret = stage("secret", name="secret.png", user=admin_user)
    assert signed_in.get(f"/assets/{secret.pk}/state/").status_code == 404
    assert signed_in.get("/assets/999999/state/").status_code == 404


def test_the_asset_page_shows_times_to_the_second_with_zone_and_people_one_way(signed_in, stage):
    asset = made_live(stage())

    html = signed_in.get(f"/assets/{asset.pk}/state/").content.decode()

    pingone_time = re.search(r'data-field="pingone_created_at">(.*?)</dd>', html).group(1)
    assert ">2026-02-27 19:49:36 UTC</time>" in pingone_time
    assert "T19:49" not in re.sub(r"<time[^>]*>", "", pingone_time)  # no raw ISO shown
    assert "by designer@example.com" in html
    history = html[html.index('<table class="history') :]
    assert "designer@example.com" in history and "Queued" in history and ">queued<" not in history


def test_an_animated_gif_page_says_pingone_stores_a_still_image(signed_in, stage):
    asset = stage(data=images.animated_gif(), name="spinner.gif")

    html = signed_in.get(f"/assets/{asset.pk}/").content.decode()

    assert "this animated GIF shows there as a still image" in html


# --- Pages that carry the feedback ------------------------------------------------------------


def test_the_home_page_tells_an_uploader_about_failures_they_did_not_watch(signed_in, stage, make_user):
    assert "uploads-needing-attention" not in signed_in.get("/").content.decode()
    made_failed(stage())
    colleague = make_user("colleague@example.com", ["Branding"])
    made_failed(stage(data=images.png(colour=(7, 7, 7)), user=colleague))

    html = signed_in.get("/").content.decode()

    notice = re.search(r'<p class="notice attention" data-testid="uploads-needing-attention">(.*?)</p>', html)
    assert notice, html
    assert (
        '<a href="/my-uploads/?status=failed" data-status="failed">1 of your uploads failed</a>'
        in notice.group(1)
    )
    assert "rejected" not in notice.group(1)


def test_the_upload_page_gives_sizes_in_mb_and_a_word_on_animated_gifs(signed_in, environments, settings):
    settings.PORTAL_MAX_IMAGE_BYTES = 2_000_000

    html = signed_in.get("/environments/production/upload/").content.decode()

    assert "up to 2 MB each" in html and "2,000,000" not in html
    assert "an animated GIF is accepted, but shows there as a still image" in html
    assert 'aria-live="polite"' in html and 'id="upload-list"' in html
    assert 'data-outcomes-url="/environments/production/upload/outcomes/"' in html
    # The file input sits in its label: reachable by keyboard, named by the drop zone's text.
    assert re.search(r'<label class="dropzone"[^>]*>\s*<span>[^<]+</span>\s*<input type="file"', html)


def test_an_empty_gallery_is_ready_for_cards_uploaded_elsewhere(signed_in, environments):
    html = signed_in.get("/environments/production/").content.decode()
    assert 'id="gallery" data-cards-url="/environments/production/cards/"' in html


# --- Queries --------------------------------------------------------------------------------


def use_on_screens(assets):
    BrandingUse.objects.bulk_create(
        BrandingUse(
            environment=a.environment, kind="theme", object_id=f"t{a.pk}", slot="logo", image_id="x", asset=a
        )
        for a in assets
    )


def queries(client, path, params):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params).status_code == 200
    return len(captured)


def test_fragments_cost_the_same_queries_for_two_assets_and_for_forty(signed_in, stage):
    few = stage_many(stage, 2)
    use_on_screens(few)
    costs = {}
    for label, assets in (("few", few), ("many", few + stage_many(stage, 38, start=2))):
        use_on_screens(assets[len(few) :])
        ids = ",".join(str(a.pk) for a in assets)
        costs[label] = (
            queries(signed_in, "/environments/production/cards/", {"ids": ids, "after": assets[0].pk}),
            queries(signed_in, "/environments/production/upload/outcomes/", {"ids": ids}),
            queries(signed_in, f"/assets/{assets[0].pk}/state/", {}),
            queries(signed_in, "/my-uploads/cards/", {"ids": ids}),
        )
    assert costs["many"] == costs["few"]
