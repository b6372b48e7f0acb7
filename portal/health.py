"""/healthz/: can this portal do its job right now? Database, Redis, a worker, PingOne."""

import time

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from .celery import app as celery_app

CHECK_TIMEOUT = 2


def _timed(check):
    started = time.monotonic()
    try:
        detail = check()
        result = {"ok": True}
        if detail:
            result.update(detail)
    except Exception as exc:  # any failure is the answer, not an error of this page  # noqa: BLE001
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.monotonic() - started) * 1000)
    return result


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis():
    # The cache is the portal's own Redis client (short timeouts); a round trip proves Redis.
    cache.set("healthz:ping", "1", 10)
    if cache.get("healthz:ping") != "1":
        raise RuntimeError("Redis did not give back what was written")


def _worker():
    replies = celery_app.control.ping(timeout=1)
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return {"workers": len(replies)}


def _pingone():
    response = requests.get(f"{settings.PINGONE_API_BASE_URL}/", timeout=CHECK_TIMEOUT)
    # Any HTTP answer (even 401 or 404) means PingOne's API is reachable.
    return {"status": response.status_code}


def healthz(request):
    checks = {"database": _timed(_database), "redis": _timed(_redis)}
    checks["worker"] = _timed(_worker) if checks["redis"]["ok"] else {"ok": False, "error": "no Redis"}
    checks["pingone"] = _timed(_pingone)
    healthy = checks["database"]["ok"] and checks["redis"]["ok"]
    return JsonResponse({"ok": all(c["ok"] for c in checks.values()), **checks},
                        status=200 if healthy else 503)
