"""Nothing is lost: undispatched pushes are sent again, interrupted pushes recover on their own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from images_app import leases, services
from images_app.models import Asset, Status
from portal.celery import app
from tests.conftest import use_broker


@pytest.fixture
def asset(stage, broker):
    return stage()


def age(asset, **ago):
    Asset.objects.filter(pk=asset.pk).update(updated_at=timezone.now() - timedelta(**ago))


def claimed(asset, holder, **ago):
    """The asset as a worker process `holder` claimed it, `ago` before now."""
    Asset.objects.filter(pk=asset.pk).update(
        status=Status.PUSHING,
        claimed_by=holder,
        lease_until=timezone.now() + services.PUSH_LEASE,
        attempts=1,
        updated_at=timezone.now() - timedelta(**ago),
    )


def test_a_push_that_could_not_be_dispatched_is_sent_again_once_the_broker_answers(
    asset, broker, broker_outage
):
    broker.purge()
    previous = app.conf.broker_url
    broker_outage()
    assert services.queue_push(asset.pk) is False
    asset.refresh_from_db()
    assert asset.dispatch_failed_at is not None
    assert services.recover_stalled().redispatched == 0  # still down: still marked
    asset.refresh_from_db()
    assert asset.dispatch_failed_at is not None

    use_broker(previous)
    assert services.recover_stalled().redispatched == 1

    assert broker.count() == 1
    asset.refresh_from_db()
    assert asset.dispatch_failed_at is None and asset.status == Status.QUEUED
    assert services.recover_stalled().redispatched == 0


def test_a_queued_asset_whose_message_was_lost_in_the_broker_is_sent_again(asset, broker):
    broker.purge()
    age(asset, minutes=11)
    assert services.recover_stalled().redispatched == 1
    assert broker.count() == 1
    assert services.recover_stalled().redispatched == 0  # given its full time again


def test_an_asset_waiting_for_a_scheduled_retry_is_never_taken_for_lost(asset, broker):
    broker.purge()
    Asset.objects.filter(pk=asset.pk).update(attempts=2, error_code="HTTP_503")
    age(asset, minutes=5)  # less than the longest retry delay plus margin
    assert services.recover_stalled() == services.Recovery()
    assert broker.count() == 0


def test_a_push_whose_worker_vanished_goes_back_to_queued_with_a_possible_orphan_mark(asset, broker):
    broker.purge()
    claimed(asset, "gone-host:4242", seconds=30)  # no heartbeat from that process

    assert services.recover_stalled().requeued == 1

    asset.refresh_from_db()
    assert (asset.status, asset.interruptions, asset.claimed_by) == (Status.QUEUED, 1, "")
    assert asset.is_possible_orphan and asset.interrupted_at < timezone.now()
    last = asset.events.order_by("-id").first()
    assert (last.from_status, last.to_status) == ("pushing", "queued")
    assert "possible orphan" in last.note and "gone-host:4242" in last.note
    assert broker.count() == 1
    assert list(Asset.objects.possible_orphans()) == [asset]


def test_a_push_whose_worker_still_beats_is_left_alone(asset, broker):
    holder = "busy-host:1"
    leases.beat(holder)
    claimed(asset, holder, seconds=60)
    assert services.recover_stalled() == services.Recovery()
    asset.refresh_from_db()
    assert asset.status == Status.PUSHING


def test_a_claim_younger_than_the_grace_is_left_alone(asset, broker):
    claimed(asset, "new-host:2", seconds=1)
    assert services.recover_stalled() == services.Recovery()


def test_a_push_past_its_lease_is_taken_back_even_if_something_beats_for_it(asset, broker):
    holder = "stuck-host:3"
    leases.beat(holder)
    claimed(asset, holder, minutes=10)
    Asset.objects.filter(pk=asset.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.recover_stalled().requeued == 1


def test_after_the_last_allowed_interruption_the_asset_fails_and_can_be_retried(
    asset, broker, client, designer, settings
):
    settings.PORTAL_MAX_INTERRUPTED_PUSHES = 1
    Asset.objects.filter(pk=asset.pk).update(interruptions=1)
    claimed(asset, "gone-host:5", seconds=30)

    assert services.recover_stalled().failed == 1

    asset.refresh_from_db()
    assert (asset.status, asset.error_code) == (Status.FAILED, "PUSH_INTERRUPTED")
    client.force_login(designer)
    assert client.post(f"/assets/{asset.pk}/retry/").status_code == 302
    asset.refresh_from_db()
    assert asset.status == Status.QUEUED


def test_a_late_answer_from_a_push_that_was_taken_back_changes_nothing(asset, broker):
    claimed(asset, "slow-host:6", seconds=30)
    services.recover_stalled()
    asset.refresh_from_db()
    # The slow process finally hears from PingOne and tries to record it: it no longer holds it.
    assert not asset.transition(Status.LIVE, from_status=Status.PUSHING, held_by="slow-host:6")
