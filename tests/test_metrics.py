"""/metrics: Prometheus text (read back with prometheus_client's own parser), behind the token,
counting what the pipeline did in every process through the shared Redis."""

import os
from datetime import timedelta

import pytest
import redis
import requests
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from images_app import metrics, rate_limit, services
from images_app.models import Asset, Status
from tests import images
from tests.test_json_logs import own_portal
from tests.test_upload import JSON, post_upload

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_redis(settings):
    """Counting into the real Redis the suite uses, starting from nothing."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    client = redis.Redis.from_url(url)
    client.delete(*metrics.KEYS)
    settings.PORTAL_METRICS_REDIS_URL = url
    settings.PORTAL_METRICS_TOKEN = TOKEN
    metrics._state.update(down_until=0.0, warned=False)
    yield client
    client.delete(*metrics.KEYS)
    metrics._state.update(down_until=0.0, warned=False)


def scrape(client=None, token=TOKEN):
    """Every sample /metrics shows, as {(name, (label pairs...)): value}, read by the library's parser."""
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


@pytest.fixture
def designer_client(client, designer, environments, staging_storage):
    client.force_login(designer)
    return client


# --- Who may read it ---------------------------------------------------------------------------


def test_metrics_are_off_and_answer_404_while_no_token_is_set(client, settings, db):
    settings.PORTAL_METRICS_TOKEN = None
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_callers_without_the_token_are_refused(client, settings, admin_user):
    settings.PORTAL_METRICS_TOKEN = TOKEN
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 403 and b"portal_" not in wrong.content
    # A signed-in admin is no scraper: the token is what opens it.
    client.force_login(admin_user)
    assert client.get("/metrics").status_code == 401
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_the_token_opens_the_prometheus_text(client, metrics_redis, db):
    samples = scrape(client)
    assert value(samples, "portal_metrics_store_up") == 1
    assert ("portal_oldest_queued_asset_age_seconds", ()) in samples


# --- Uploads -----------------------------------------------------------------------------------


def test_staged_duplicate_and_refused_uploads_move_the_upload_counter(designer_client, metrics_redis):
    before = scrape()
    answer = post_upload(
        designer_client,
        "production",
        [
            ("a.png", images.png(colour=(1, 1, 1))),
            ("b.png", images.png(colour=(2, 2, 2))),
            ("c.txt", b"text"),
        ],
    )
    assert [f["result"] for f in answer.json()["files"]] == ["staged", "staged", "rejected"]
    post_upload(designer_client, "production", [("again.png", images.png(colour=(1, 1, 1)))])
    assert post_upload(designer_client, "production", []).status_code == 400  # no files
    assert Client().post("/environments/production/upload/", **JSON).status_code == 401

    after = scrape()
    moved = {
        (outcome, code): value(after, "portal_uploads_total", outcome=outcome, code=code)
        - value(before, "portal_uploads_total", outcome=outcome, code=code)
        for outcome, code in [
            ("staged", "none"),
            ("rejected", "unsupported_format"),
            ("duplicate", "duplicate"),
            ("refused", "no_files"),
            ("refused", "sign_in_required"),
        ]
    }
    assert moved == {
        ("staged", "none"): 2,
        ("rejected", "unsupported_format"): 1,
        ("duplicate", "duplicate"): 1,
        ("refused", "no_files"): 1,
        ("refused", "sign_in_required"): 1,
    }


def test_an_upload_goes_through_when_redis_is_down_and_the_process_says_so_once(
    designer_client, metrics_redis, settings, caplog
):
    settings.PORTAL_METRICS_REDIS_URL = "redis://127.0.0.1:1/0"
    for colour in ((5, 5, 5), (6, 6, 6)):
        answer = post_upload(designer_client, "production", [("x.png", images.png(colour=colour))])
        assert answer.json()["files"][0]["result"] == "staged"
    warnings = [r for r in caplog.records if "Metrics are not being recorded" in r.getMessage()]
    assert len(warnings) == 1
    # /metrics still answers: the store is down, the database's gauges are there.
    samples = scrape()
    assert value(samples, "portal_metrics_store_up") == 0
    assert value(samples, "portal_assets", environment="production", status="queued") == 2


# --- Pushes and the rate budget ----------------------------------------------------------------


def test_pushes_count_by_outcome_and_pingone_status_with_their_duration(stage, pingone, metrics_redis):
    assert services.push_asset(stage(data=images.png(colour=(10, 0, 0))).pk).status == Status.LIVE
    pingone.add_fault(path="/images$", status=400, count=1)
    assert services.push_asset(stage(data=images.png(colour=(20, 0, 0))).pk).status == Status.FAILED
    pingone.add_fault(path="/images$", status=503, count=1)
    assert services.push_asset(stage(data=images.png(colour=(30, 0, 0))).pk).status == Status.QUEUED

    samples = scrape()
    assert value(samples, "portal_pushes_total", outcome="live", pingone_status="201") == 1
    assert value(samples, "portal_pushes_total", outcome="failed", pingone_status="400") == 1
    assert value(samples, "portal_pushes_total", outcome="retry", pingone_status="503") == 1
    assert value(samples, "portal_push_duration_seconds_count", outcome="live") == 1
    assert value(samples, "portal_push_duration_seconds_bucket", outcome="live", le="+Inf") == 1
    assert 0 < value(samples, "portal_push_duration_seconds_sum", outcome="live") < 30


def test_pushes_that_wait_for_the_rate_budget_are_counted_with_their_wait(
    stage, pingone, metrics_redis, settings
):
    settings.PINGONE_RATE_LIMIT_REDIS_URL = settings.PORTAL_METRICS_REDIS_URL
    settings.PINGONE_RATE_LIMIT_PER_SECOND = 1
    metrics_redis.delete(rate_limit.NEXT_KEY, rate_limit.PAUSE_KEY)
    first, second = stage(data=images.png(colour=(40, 0, 0))), stage(data=images.png(colour=(50, 0, 0)))
    assert services.push_asset(first.pk).status == Status.LIVE
    waited = services.push_asset(second.pk)
    assert waited.status == Status.QUEUED and waited.retry_in > 0

    samples = scrape()
    assert value(samples, "portal_pingone_rate_budget_waits_total") == 1
    assert value(samples, "portal_pingone_rate_budget_wait_seconds_total") == pytest.approx(waited.retry_in)
    metrics_redis.delete(rate_limit.NEXT_KEY, rate_limit.PAUSE_KEY)


# --- Assets in the database --------------------------------------------------------------------


def test_assets_per_status_and_the_oldest_queued_age_follow_the_data(stage, metrics_redis):
    older, newer = stage(data=images.png(colour=(60, 0, 0))), stage(data=images.png(colour=(70, 0, 0)))
    Asset.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(seconds=90))
    samples = scrape()
    assert value(samples, "portal_assets", environment="production", status="queued") == 2
    assert value(samples, "portal_assets", environment="production", status="live") == 0
    assert value(samples, "portal_assets", environment="secret", status="queued") == 0  # none there
    assert 90 <= value(samples, "portal_oldest_queued_asset_age_seconds") < 150

    Asset.objects.filter(pk=older.pk).update(status=Status.LIVE)
    samples = scrape()
    assert value(samples, "portal_assets", environment="production", status="queued") == 1
    assert value(samples, "portal_assets", environment="production", status="live") == 1
    assert value(samples, "portal_oldest_queued_asset_age_seconds") < 60

    Asset.objects.filter(pk=newer.pk).update(status=Status.FAILED)
    samples = scrape()
    assert value(samples, "portal_assets", environment="production", status="failed") == 1
    assert value(samples, "portal_oldest_queued_asset_age_seconds") == 0


def test_the_scrape_reads_the_assets_in_one_query(stage, metrics_redis, django_assert_num_queries):
    for n in range(3):
        stage(data=images.png(colour=(80 + n, 0, 0)))
    client = Client()
    with django_assert_num_queries(1):
        client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


# --- End to end --------------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_push_by_the_real_worker_shows_in_the_web_processs_metrics():
    """The worker counts into Redis; the web process it never talks to shows the count."""
    with own_portal({"PORTAL_METRICS_TOKEN": TOKEN}) as stack:

        def samples():
            response = requests.get(
                f"{stack.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
            )
            assert response.status_code == 200, response.text[:300]
            return {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(response.text)
                for s in family.samples
            }

        assert requests.get(f"{stack.url}/metrics", timeout=30).status_code == 401
        before = samples()
        session = stack.sign_in("designer@example.com")
        (answer,) = stack.upload(session, "production", [("live.png", images.png(colour=(99, 1, 1)))]).json()[
            "files"
        ]
        stack.wait_for(session, "production", [answer["asset"]], {"live"})
        after = samples()

    live = {"outcome": "live", "pingone_status": "201"}
    assert value(after, "portal_pushes_total", **live) == value(before, "portal_pushes_total", **live) + 1
    count = "portal_push_duration_seconds_count"
    assert value(after, count, outcome="live") == value(before, count, outcome="live") + 1
    assert value(after, "portal_uploads_total", outcome="staged", code="none") == 1
    assert value(after, "portal_assets", environment="production", status="live") == 1
