"""Nothing is lost: queued assets whose message vanished, and pushes whose worker died."""

from datetime import timedelta

import pytest
from django.utils import timezone

from images_app import services
from images_app.models import Asset, Status


@pytest.fixture
def asset(stage, broker):
    return stage()


def age(asset, minutes):
    Asset.objects.filter(pk=asset.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))


def test_a_queued_asset_whose_message_was_lost_is_queued_again(asset, broker):
    age(asset, 11)
    before = broker.count()

    assert services.recover_stalled() == (1, 0)

    assert broker.count() == before + 1
    asset.refresh_from_db()
    assert asset.status == Status.QUEUED
    # Given its full time again: the next sweep leaves it alone.
    assert services.recover_stalled() == (0, 0)


def test_a_recently_queued_asset_waiting_for_a_retry_is_left_alone(asset):
    age(asset, 6)
    assert services.recover_stalled() == (0, 0)


def test_a_push_whose_worker_died_is_failed_with_a_reason_and_can_be_retried(asset, client, designer):
    Asset.objects.filter(pk=asset.pk).update(status=Status.PUSHING)
    age(asset, 6)

    assert services.recover_stalled() == (0, 1)

    asset.refresh_from_db()
    assert (asset.status, asset.error_code) == (Status.FAILED, "PUSH_INTERRUPTED")
    assert "may or may not" in asset.error_message
    client.force_login(designer)
    assert client.post(f"/assets/{asset.pk}/retry/").status_code == 302
    asset.refresh_from_db()
    assert asset.status == Status.QUEUED


def test_a_push_in_progress_is_left_alone(asset):
    Asset.objects.filter(pk=asset.pk).update(status=Status.PUSHING)
    age(asset, 1)
    assert services.recover_stalled() == (0, 0)
