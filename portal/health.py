"""/healthz/: can this portal do its job right now? Database, Redis, a worker, PingOne.

Anonymous callers (a load balancer) learn only `ok`; admins and holders of the metrics token
get each check's detail. The checks run at most once per CACHE_SECONDS per process, so a
health check every few seconds costs no Celery ping and no call to PingOne each time.
"""

import hmac
import threading
import time

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from images_app.models import Asset, Status
from images_app.roles import is_portal_admin

from .celery import app as celery_app

CHECK_TIMEOUT = 2
CACHE_SECONDS = 5

_last = {"at": float("-inf"), "answer": None}
_lock = threading.Lock()


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


def _pushes():
    """What the pipeline holds: waiting for dispatch, pushing, waiting for a retry, orphans."""
    queued = Asset.objects.filter(status=Status.QUEUED)
    return {
        "waiting_for_dispatch": queued.exclude(dispatch_failed_at=None).count(),
        "pushing": Asset.objects.filter(status=Status.PUSHING).count(),
        "waiting_for_retry": queued.filter(dispatch_failed_at=None, attempts__gt=0).count(),
        "possible_orphans": Asset.objects.possible_orphans().count(),
    }


def run_checks():
    """Every check's result; `ok` when the portal can take uploads (database and Redis)."""
    checks = {"database": _timed(_database), "redis": _timed(_redis), "pushes": _timed(_pushes)}
    checks["worker"] = _timed(_worker) if checks["redis"]["ok"] else {"ok": False, "error": "no Redis"}
    checks["pingone"] = _timed(_pingone)
    healthy = checks["database"]["ok"] and checks["redis"]["ok"]
    return healthy, checks


def _recent_checks():
    with _lock:
        if time.monotonic() - _last["at"] > CACHE_SECONDS:
            _last["answer"] = run_checks()
            _last["at"] = time.monotonic()
        return _last["answer"]


def forget_recent_checks():
    """The next call runs the checks again (tests, and a change of configuration)."""
    with _lock:
        _last["at"] = float("-inf")


def may_see_detail(request):
    """Admins, and callers presenting PORTAL_METRICS_TOKEN as a Bearer token."""
    token = settings.PORTAL_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        if hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode()):
            return True
    user = getattr(request, "user", None)
    return user is not None and is_portal_admin(user)


def healthz(request):
    healthy, checks = _recent_checks()
    body = {"ok": healthy}
    if may_see_detail(request):
        body.update(checks)
        body["all_ok"] = all(c["ok"] for c in checks.values())
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response
