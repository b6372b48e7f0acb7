"""Pushing an asset to PingOne (the emulator over HTTP) and recording what comes back."""

from datetime import UTC, timedelta
from pathlib import Path

import pytest

from images_app import services
from images_app.models import Asset, Status
from tests import images
from tests.ids import PRODUCTION


def pingone_timestamp(when):
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@pytest.fixture
def staged(stage, pingone):
    """Stage an image in Production, with the portal pointed at the emulator: staged(data, name)."""
    return lambda data=None, name="logo.png": stage("production", data, name)


def test_a_push_records_the_id_targets_and_created_at_and_goes_live(staged, pingone):
    asset = staged(images.jpeg(size=(40, 30)), "photo.jpeg")

    outcome = services.push_asset(asset.pk)

    asset.refresh_from_db()
    assert outcome.status == asset.status == Status.LIVE
    (stored,) = pingone.images(PRODUCTION)
    assert asset.pingone_image_id == stored["id"]
    assert asset.targets == stored["targets"]
    assert asset.targets["original"]["width"] == 40
    # PingOne's createdAt, to the millisecond, kept as a time.
    assert pingone_timestamp(asset.pingone_created_at) == stored["createdAt"]
    assert asset.attempts == 1 and asset.error is None
    assert stored["received_content_type"] == "image/jpeg"
    assert stored["received_sha256"] == asset.sha256
    assert [(e.from_status, e.to_status) for e in asset.events.order_by("id")] == [
        ("", "queued"),
        ("queued", "pushing"),
        ("pushing", "live"),
    ]


def test_the_filename_sent_is_safe_and_has_the_real_extension(staged, pingone):
    asset = staged(images.png(), "../My Logo.jpg")
    services.push_asset(asset.pk)
    (stored,) = pingone.images(PRODUCTION)
    assert stored["received_content_type"] == "image/png"
    assert stored["received_content_disposition"] == "attachment; filename=My-Logo.png"


def test_a_second_delivery_finds_the_asset_claimed(staged, pingone):
    asset = staged()
    Asset.objects.filter(pk=asset.pk).update(status=Status.PUSHING)
    assert services.push_asset(asset.pk) is None
    assert services.push_asset(999999) is None
    assert pingone.images(PRODUCTION) == []


def test_a_permanent_error_marks_the_asset_failed_with_pingones_code_and_message(staged, pingone):
    asset = staged()
    pingone.add_fault(path="/images$", method="POST", status=403)

    outcome = services.push_asset(asset.pk)

    asset.refresh_from_db()
    assert outcome.status == asset.status == Status.FAILED
    assert asset.error_code == "ACCESS_FAILED"
    assert asset.error_message
    assert outcome.retry_in is None


def test_a_rate_limit_waits_as_long_as_retry_after_says_and_keeps_the_error(staged, pingone):
    asset = staged()
    pingone.add_fault(path="/images$", method="POST", status=429, retry_after=7)

    outcome = services.push_asset(asset.pk)

    asset.refresh_from_db()
    assert (outcome.status, outcome.retry_in) == (Status.QUEUED, 7)
    assert (asset.status, asset.attempts, asset.error_code) == (Status.QUEUED, 1, "REQUEST_LIMITED")
    # The next attempt goes through and clears the error.
    assert services.push_asset(asset.pk).status == Status.LIVE
    asset.refresh_from_db()
    assert (asset.attempts, asset.error) == (2, None)


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 503}, {"drop": True}])
def test_server_errors_and_dropped_connections_are_retried_later(staged, pingone, fault):
    asset = staged()
    pingone.add_fault(path="/images$", method="POST", **fault)
    outcome = services.push_asset(asset.pk)
    assert outcome.status == Status.QUEUED and outcome.retry_in >= 0.5
    asset.refresh_from_db()
    assert asset.error_code


def test_a_slow_pingone_times_out_and_is_retried(staged, pingone, settings):
    settings.PINGONE_TIMEOUT = (2, 0.5)
    asset = staged()
    pingone.add_fault(path="/images$", method="POST", latency_ms=1500)
    outcome = services.push_asset(asset.pk)
    asset.refresh_from_db()
    assert outcome.status == Status.QUEUED
    assert asset.error_code == "TIMEOUT"


def test_retries_stop_after_the_last_attempt(staged, pingone, settings):
    settings.PORTAL_PUSH_MAX_ATTEMPTS = 2
    asset = staged()
    pingone.add_fault(path="/images$", method="POST", status=502, count=5)
    assert services.push_asset(asset.pk).status == Status.QUEUED
    assert services.push_asset(asset.pk).status == Status.FAILED
    asset.refresh_from_db()
    assert (asset.status, asset.attempts, asset.error_code) == (Status.FAILED, 2, "UNEXPECTED_ERROR")


def test_the_worker_token_is_fetched_once_and_shared(staged, pingone):
    first, second = staged(images.png(colour=(1, 0, 0))), staged(images.png(colour=(2, 0, 0)))
    services.push_asset(first.pk)
    services.push_asset(second.pk)
    token_requests = [r for r in pingone.requests_log() if r["path"].endswith("/as/token")]
    assert len(token_requests) == 1


def test_a_revoked_token_is_replaced_once(staged, pingone):
    services.push_asset(staged(images.png(colour=(3, 0, 0))).pk)
    pingone.reset()  # forgets every token the portal holds
    asset = staged(images.png(colour=(4, 0, 0)))
    assert services.push_asset(asset.pk).status == Status.LIVE
    log = pingone.requests_log()
    assert [r["status"] for r in log if r["path"].endswith("/images")] == [401, 201]


def test_a_201_that_describes_no_image_fails_the_asset_instead_of_going_live(staged, pingone):
    asset = staged()
    # A 201 that is not the documented JSON body.
    pingone.add_fault(path="/images$", method="POST", status=201)
    outcome = services.push_asset(asset.pk)
    asset.refresh_from_db()
    assert outcome.status == asset.status == Status.FAILED
    assert asset.error_code == "UNEXPECTED_RESPONSE"
    assert asset.pingone_image_id == ""


def test_a_misconfigured_api_url_fails_the_asset_with_a_reason_instead_of_leaving_it_claimed(
    staged, pingone, settings
):
    asset = staged()
    settings.PINGONE_API_BASE_URL = "api.pingone.example/v1"  # no scheme
    outcome = services.push_asset(asset.pk)
    asset.refresh_from_db()
    assert outcome.status == asset.status == Status.FAILED
    assert asset.error_code == "PORTAL_ERROR"
    assert "MissingSchema" in asset.error_message


@pytest.mark.parametrize("status", [403, 404])
def test_a_new_environments_403_or_404_is_retried_while_pingone_settles(
    staged, pingone, status, environments
):
    from django.utils import timezone

    from images_app.models import Environment

    Environment.objects.filter(pk=environments["production"].pk).update(created_at=timezone.now())
    pingone.add_fault(path="/images$", method="POST", status=status, count=2)
    asset = staged()

    first = services.push_asset(asset.pk)

    assert first.status == Status.QUEUED and first.retry_in
    asset.refresh_from_db()
    assert asset.status == Status.QUEUED
    Environment.objects.filter(pk=environments["production"].pk).update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    assert services.push_asset(asset.pk).status == Status.FAILED  # past the window: for real


def test_staging_storage_that_cannot_be_read_queues_the_push_again_and_nothing_reaches_pingone(
    staged, pingone
):
    asset = staged(images.png(colour=(5, 5, 5)))
    path = Path(asset.file.path)
    data = path.read_bytes()
    path.unlink()
    path.mkdir()  # the storage answers, but with an error, as S3 does when it is down

    outcome = services.push_asset(asset.pk)

    asset.refresh_from_db()
    assert outcome.status == asset.status == Status.QUEUED and outcome.retry_in > 0
    assert (asset.error_code, asset.attempts) == ("STAGING_UNAVAILABLE", 1)
    assert pingone.images(PRODUCTION) == []

    path.rmdir()
    path.write_bytes(data)  # storage is back
    assert services.push_asset(asset.pk).status == Status.LIVE
    assert len(pingone.images(PRODUCTION)) == 1


def test_a_staged_file_that_is_gone_fails_the_push_at_once_and_says_so(staged, pingone):
    asset = staged(images.png(colour=(6, 6, 6)))
    Path(asset.file.path).unlink()

    assert services.push_asset(asset.pk).status == Status.FAILED
    asset.refresh_from_db()
    assert (asset.status, asset.error_code, asset.attempts) == (Status.FAILED, "STAGED_FILE_MISSING", 1)
    assert pingone.images(PRODUCTION) == []


def test_a_push_is_one_read_and_two_short_writes_with_no_reloads(staged, pingone):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.push_asset(staged(images.png(colour=(7, 0, 0))).pk)  # token and connection, once
    asset = staged(images.png(colour=(8, 0, 0)))

    with CaptureQueriesContext(connection) as queries:
        services.push_asset(asset.pk)

    verbs = [q["sql"].split()[0] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # The asset with its environment; the claim and the outcome, each the asset's row, the two
    # status counters it moves between, and its audit row.
    move = ["UPDATE", "UPDATE", "UPDATE", "INSERT"]
    assert [v for v in verbs if v not in ("BEGIN", "COMMIT")] == ["SELECT", *move, *move]
    asset.refresh_from_db()
    assert (asset.status, asset.attempts) == (Status.LIVE, 1)


def test_a_process_beats_once_for_a_run_of_pushes_not_once_per_push(staged, pingone, monkeypatch):
    from images_app import leases

    beats = []
    monkeypatch.setattr(leases, "beat", lambda name: beats.append(name))
    monkeypatch.setattr(leases, "_beats", leases._Beats())
    assets = [staged(images.png(colour=(9, n, 0))) for n in range(3)]

    for asset in assets:
        assert services.push_asset(asset.pk).status == Status.LIVE

    assert beats == [leases.holder()]
