"""/healthz/: what a load balancer, an operator and an admin learn about the portal's parts."""

import pytest

from portal import health
from tests import images

REDIS_NOWHERE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
CHECKS = {"database", "redis", "worker", "pingone"}


@pytest.fixture(autouse=True)
def fresh_checks(db, pingone):
    health.forget_recent_checks()
    yield
    health.forget_recent_checks()


def test_anonymous_callers_learn_only_ok(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_healthz_answers_503_when_redis_is_down(client, settings):
    settings.CACHES = REDIS_NOWHERE
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json() == {"ok": False}


def test_admins_see_each_checks_detail(client, admin_user, settings):
    settings.CACHES = REDIS_NOWHERE
    client.force_login(admin_user)
    body = client.get("/healthz/").json()
    assert set(body) >= CHECKS | {"ok"}
    assert body["ok"] is False and body["redis"]["ok"] is False and body["database"]["ok"] is True
    assert "ConnectionError" in body["redis"]["error"] or "Error" in body["redis"]["error"]


def test_the_metrics_token_shows_the_detail_and_a_wrong_one_does_not(client, settings):
    settings.PORTAL_METRICS_TOKEN = "s3cret-metrics-token"
    shown = client.get("/healthz/", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token").json()
    assert set(shown) >= CHECKS and shown["pingone"]["ok"] is True
    assert client.get("/healthz/", HTTP_AUTHORIZATION="Bearer wrong").json() == {"ok": True}
    settings.PORTAL_METRICS_TOKEN = None
    assert client.get("/healthz/", HTTP_AUTHORIZATION="Bearer ").json() == {"ok": True}


def test_frequent_checks_reuse_one_recent_answer(client, pingone):
    for _ in range(5):
        assert client.get("/healthz/").status_code == 200
    calls = [r for r in pingone.requests_log() if r["path"] == "/v1/"]
    assert len(calls) == 1


def test_operators_see_what_the_pipeline_holds(client, admin_user, stage):
    from django.utils import timezone

    from images_app.models import Asset, Status

    waiting, pushing, retrying, orphan = (stage(data=images.png(colour=(n, 5, 5))) for n in range(4))
    Asset.objects.filter(pk=waiting.pk).update(dispatch_failed_at=timezone.now())
    Asset.objects.filter(pk=pushing.pk).update(status=Status.PUSHING)
    Asset.objects.filter(pk=retrying.pk).update(attempts=2)
    Asset.objects.filter(pk=orphan.pk).update(status=Status.LIVE, interrupted_at=timezone.now())
    client.force_login(admin_user)

    pushes = client.get("/healthz/").json()["pushes"]

    assert (pushes["waiting_for_dispatch"], pushes["pushing"]) == (1, 1)
    assert (pushes["waiting_for_retry"], pushes["possible_orphans"]) == (1, 1)
