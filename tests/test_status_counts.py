"""The home page's counts come from counters kept by the code that changes statuses; they stay
equal to the assets table through the whole life of an asset, and can be rebuilt from it."""

import re
import threading
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from images_app import services
from images_app.models import Asset, Status, StatusCount
from tests import images
from tests.ids import PRODUCTION
from tests.rows import bare_asset


def counted_in_table():
    """{(slug, status): n} counted from the assets table itself."""
    return Counter(Asset.objects.values_list("environment__slug", "status"))


def shown_on_home(client):
    """{(slug, status): n} as the home page shows them (only the non-zero ones), and the totals."""
    response = client.get("/")
    page = response.content.decode()
    shown, totals = Counter(), {}
    for environment in response.context["environments"]:
        row = re.search(rf'<tr data-environment="{environment.slug}">(.*?)</tr>', page, re.S).group(1)
        for status, count in re.findall(r'data-status="(\w+)">(\d+)<', row):
            shown[(environment.slug, status)] = int(count)
        totals[environment.slug] = environment.total
    return shown, totals


def assert_home_matches(client, expected):
    shown, totals = shown_on_home(client)
    assert shown == counted_in_table() == Counter(expected)
    for slug in totals:
        assert totals[slug] == sum(n for (s, _), n in expected.items() if s == slug)


def upload(client, slug, name, data):
    response = client.post(
        f"/environments/{slug}/upload/",
        {"files": [SimpleUploadedFile(name, data, content_type="image/png")]},
        HTTP_ACCEPT="application/json",
    )
    (answer,) = response.json()["files"]
    assert answer["result"] == "staged", answer
    return Asset.objects.get(pk=answer["asset"])


@pytest.fixture
def admin_client(client, admin_user, environments, staging_storage, pingone):
    client.force_login(admin_user)
    return client


def test_counts_stay_right_through_upload_push_failure_retry_review_and_delete(admin_client, pingone):
    logo = upload(admin_client, "production", "logo.png", images.png(colour=(1, 2, 3)))
    icon = upload(admin_client, "production", "icon.png", images.png(colour=(4, 5, 6)))
    waiting = upload(admin_client, "staging", "a.png", images.png(colour=(7, 8, 9)))
    doubtful = upload(admin_client, "staging", "b.png", images.png(colour=(10, 11, 12)))
    assert_home_matches(
        admin_client,
        {("production", "queued"): 2, ("staging", "awaiting_review"): 2},
    )

    services.push_asset(logo.pk)  # queued -> pushing -> live
    pingone.add_fault(path="/images$", method="POST", status=400)
    services.push_asset(icon.pk)  # queued -> pushing -> failed
    assert_home_matches(
        admin_client,
        {("production", "live"): 1, ("production", "failed"): 1, ("staging", "awaiting_review"): 2},
    )

    assert admin_client.post(f"/assets/{icon.pk}/retry/").status_code == 302  # failed -> queued
    assert admin_client.post(f"/assets/{waiting.pk}/approve/").status_code == 302  # -> queued
    assert admin_client.post(f"/assets/{doubtful.pk}/reject/", {"reason": "blurry"}).status_code == 302
    assert_home_matches(
        admin_client,
        {
            ("production", "live"): 1,
            ("production", "queued"): 1,
            ("staging", "queued"): 1,
            ("staging", "rejected"): 1,
        },
    )

    services.push_asset(icon.pk)
    services.push_asset(waiting.pk)
    assert admin_client.post(f"/assets/{logo.pk}/delete/").status_code == 302  # live -> deleted
    assert len(pingone.images(PRODUCTION)) == 1
    assert_home_matches(
        admin_client,
        {
            ("production", "live"): 1,
            ("production", "deleted"): 1,
            ("staging", "live"): 1,
            ("staging", "rejected"): 1,
        },
    )
    # The admins' notice of uploads waiting for review reads the same counters.
    assert admin_client.get("/").context["waiting_for_review"]() == 0


def test_a_row_removed_from_the_table_no_longer_counts(admin_client):
    upload(admin_client, "production", "logo.png", images.png())
    gone = upload(admin_client, "production", "gone.png", images.png(colour=(9, 9, 9)))
    gone.delete()
    assert_home_matches(admin_client, {("production", "queued"): 1})


def test_the_rebuild_command_recounts_from_the_assets_table(admin_client):
    upload(admin_client, "production", "logo.png", images.png())
    upload(admin_client, "staging", "a.png", images.png(colour=(3, 3, 3)))
    # Counters gone wrong: changed behind the portal's back (a restore, a bulk load).
    Asset.objects.filter(environment__slug="staging").update(status=Status.REJECTED)
    StatusCount.objects.update(count=7)

    call_command("rebuild_status_counts", verbosity=0)

    assert_home_matches(admin_client, {("production", "queued"): 1, ("staging", "rejected"): 1})


@pytest.mark.django_db(transaction=True)
def test_concurrent_status_changes_all_land_in_the_counters(environments, designer, staging_storage):
    """Eight threads, each with its own database connection, move assets at the same time."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: nothing runs at the same time")
    production = environments["production"]
    assets = [bare_asset(production, n, status=Status.QUEUED) for n in range(40)]
    for asset in assets:
        asset.save()  # counted, as an upload's asset is
    start = threading.Barrier(8)
    errors = []

    def work(mine):
        try:
            start.wait()
            for asset in mine:
                asset.transition(Status.PUSHING, from_status=Status.QUEUED)
                asset.transition(Status.LIVE, from_status=Status.PUSHING)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(assets[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    counts = StatusCount.objects.per_environment([production.pk])[production.pk]
    assert {s: n for s, n in counts.items() if n} == {"live": 40}
