"""Pages cost the same number of SQL queries whatever the amount of data behind them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from images_app.models import Asset, AuditEvent, BrandingUse, Status

PAGES = [
    "/",
    "/environments/production/",
    "/environments/production/?page=3",
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
        Asset(
            environment=environment,
            file=f"staging/x/{n}.png",
            filename=f"logo-{n}.png",
            sha256=f"{n:064x}",
            format="png",
            content_type="image/png",
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
