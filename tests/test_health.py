"""/healthz/: what a load balancer or an operator learns about the portal's parts."""

REDIS_NOWHERE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_healthz_answers_503_when_redis_is_down(client, db, settings, pingone):
    settings.CACHES = REDIS_NOWHERE

    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["redis"]["ok"] is False
    assert body["database"]["ok"] is True


def test_healthz_answers_200_when_the_database_and_redis_answer(client, db, pingone):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json()["database"]["ok"] and response.json()["redis"]["ok"]
