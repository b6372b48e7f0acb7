"""Pages cost the same number of SQL queries whatever the amount of data behind them."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from images_app.models import Asset, AuditEvent, BrandingUse, Status
from tests.rows import bare_asset

PAGES = [
    "/",
    "/environments/production/",
    "/environments/production/?sort=oldest",
    "/environments/production/?sort=name&status=live",
    "/environments/production/?q=logo",
    "/environments/production/?status=live",
    "/environments/production/assets.json",
    "/review/",
    "/audit/",
    "/my-uploads/",
]


def seed(environment, user, count, start=0):
    """`count` assets in a mix of statuses, each with an audit event, some used on screens."""
    statuses = [Status.LIVE, Status.QUEUED, Status.AWAITING_REVIEW, Status.FAILED, Status.REJECTED]
    assets = Asset.objects.bulk_create(
        bare_asset(
            environment,
            n,
            filename=f"logo-{n}.png",
            width=32,
            height=24,
            byte_size=100,
            status=statuses[n % len(statuses)],
            uploaded_by=user,
            pingone_image_id=f"00000000-0000-4000-8000-{n:012d}" if n % 5 == 0 else "",
            targets={"original": {"href": f"https://uploads.example/{n}.png"}} if n % 5 == 0 else {},
            error_code="rejected" if n % 5 == 4 else "",
            error_message="no" if n % 5 == 4 else "",
            interrupted_at=timezone.now() if n % 7 == 0 else None,
        )
        for n in range(start, start + count)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(asset=a, environment=environment, actor=user, actor_label=user.email, to_status=a.status)
        for a in assets
    )
    BrandingUse.objects.bulk_create(
        BrandingUse(
            environment=environment,
            kind="theme",
            object_id=f"t{a.pk}",
            name="Theme",
            slot="logo",
            image_id=a.pingone_image_id,
            asset=a,
        )
        for a in assets[:: max(1, count // 10)]
        if a.pingone_image_id
    )


# JSON answers too: they list fields (where each asset is used) that the HTML pages do not.
JSON_PAGES = ["/environments/production/assets.json", "/my-uploads/"]


def queries_per_page(client):
    counts = {}
    for page in PAGES:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200, page
        counts[page] = len(captured)
    for page in JSON_PAGES:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page, HTTP_ACCEPT="application/json").status_code == 200, page
        counts[f"{page} as JSON"] = len(captured)
    return counts


@pytest.mark.parametrize("size", [1_000])
def test_every_page_costs_the_same_queries_at_10_and_at_many_assets(client, admin_user, environments, size):
    client.force_login(admin_user)
    seed(environments["production"], admin_user, 10)
    few = queries_per_page(client)
    seed(environments["production"], admin_user, size - 10, start=10)
    many = queries_per_page(client)
    assert many == few


def follow_next(client, url, pages):
    """The gallery's own Next link, followed `pages` times from `url`; the last URL reached."""
    for _ in range(pages):
        page = client.get(url).content.decode()
        link = re.search(r'<a rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
        url = url.split("?")[0] + link
    return url


# Deep pages: reached by a plain ?page=N (an offset read), by following Next links (a keyset
# read from the cursor), and assets.json's `next`, in every order.
DEEP = [
    "/environments/production/?page=3",
    "/environments/production/?page=3&sort=name",
    "/environments/production/?page=2&q=logo&sort=oldest",
]


def deep_queries(client):
    counts = {}
    for start in [
        "/environments/production/",
        "/environments/production/?sort=oldest&q=logo",
        "/environments/production/?sort=name",
    ]:
        url = follow_next(client, start, 3)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        counts[f"{start} after 3 Next"] = len(captured)
    for url in DEEP:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        counts[url] = len(captured)
    next_url = client.get("/environments/production/assets.json?sort=name").json()["next"]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(next_url).json()["assets"]
    counts["assets.json next"] = len(captured)
    return counts


def test_deep_pages_in_every_order_cost_the_same_queries_at_100_and_at_1000_assets(
    client, admin_user, environments
):
    client.force_login(admin_user)
    seed(environments["production"], admin_user, 100)
    few = deep_queries(client)
    seed(environments["production"], admin_user, 900, start=100)
    many = deep_queries(client)
    assert many == few
