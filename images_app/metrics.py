"""What the pipeline counts for /metrics: uploads, pushes and their duration, the rate budget's waits.

Pushes happen in Celery workers, often on other machines than the web process Prometheus
scrapes, so every count goes to the shared Redis: one pipelined round trip per event (an upload
request, a push, a wait), HINCRBY / HINCRBYFLOAT on one hash per metric, a field per label set
(and per histogram bucket). The web's collector (portal.metrics) reads the hashes at scrape time.

Counting never stands in the way of the work: when Redis does not answer, the event is dropped,
the process says so once in its log, and it does not ask Redis again for RETRY_AFTER seconds.
"""

import bisect
import functools
import json
import logging
import time

import redis
from django.conf import settings

from . import log_context

log = logging.getLogger(__name__)

PREFIX = "portal:metrics:"
UPLOADS = PREFIX + "uploads"  # field [outcome, code]
PUSHES = PREFIX + "pushes"  # field [outcome, pingone_status]
PUSH_DURATION = PREFIX + "push_duration"  # fields ["bucket", outcome, le], ["sum", outcome]
RATE_BUDGET = PREFIX + "rate_budget"  # fields ["waits"], ["seconds"]
KEYS = (UPLOADS, PUSHES, PUSH_DURATION, RATE_BUDGET)

# Seconds; a push is one HTTP call to PingOne (30 s read timeout) and two small UPDATEs.
PUSH_DURATION_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf"))
# After Redis failed to answer, count nothing for this long (a request must not wait on it).
RETRY_AFTER = 30.0

_state = {"down_until": 0.0, "warned": False}


def field(*labels) -> str:
    return json.dumps([str(label) for label in labels])


def labels_of(name: bytes | str) -> list[str]:
    return json.loads(name)


@functools.cache
def _redis(url):
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )


def client() -> redis.Redis | None:
    """The shared Redis holding the counts; None when metrics are not kept (in-process tests)."""
    url = settings.PORTAL_METRICS_REDIS_URL
    return _redis(url) if url else None


def _record(increments):
    """One round trip: increments is a list of (key, field, amount); floats use HINCRBYFLOAT."""
    redis_client = client()
    if redis_client is None or not increments or time.monotonic() < _state["down_until"]:
        return
    try:
        pipe = redis_client.pipeline(transaction=False)
        for key, name, amount in increments:
            if isinstance(amount, float):
                pipe.hincrbyfloat(key, name, amount)
            else:
                pipe.hincrby(key, name, amount)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001  (counting must never break an upload or a push)
        _state["down_until"] = time.monotonic() + RETRY_AFTER
        if not _state["warned"]:
            _state["warned"] = True
            log.warning("Metrics are not being recorded: Redis did not answer (%s)", type(exc).__name__)


def record_uploads(results) -> None:
    """One upload request's files: staged, duplicate or rejected, with the refusal's code."""
    counts = {}
    for result in results:
        name = field(result.outcome, result.code or "none")
        counts[name] = counts.get(name, 0) + 1
        log.info(
            "Upload of %s: %s%s",
            result.filename,
            result.outcome,
            f" ({result.code})" if result.code else "",
            extra={"asset": result.asset.pk if result.asset else None},
        )
    _record([(UPLOADS, name, n) for name, n in counts.items()])


def record_upload_refused(code: str) -> None:
    """An upload request refused as a whole (no files, too many, too large, not signed in)."""
    _record([(UPLOADS, field("refused", code), 1)])


def timed_push(push, asset, *args):
    """Run push(asset, *args) (a claimed push) and count it: outcome, PingOne's status, duration.

    Outcomes: live, failed, retry (back to queued for another attempt), error (it raised).
    """
    log_context.forget_pingone_answer()
    started = time.perf_counter()
    outcome = "error"
    try:
        result = push(asset, *args)
        outcome = {"queued": "retry"}.get(result.status, result.status)
        return result
    finally:
        seconds = time.perf_counter() - started
        status, correlation_id = log_context.last_pingone_answer()
        le = PUSH_DURATION_BUCKETS[bisect.bisect_left(PUSH_DURATION_BUCKETS, seconds)]
        _record(
            [
                (PUSHES, field(outcome, status or "none"), 1),
                (PUSH_DURATION, field("bucket", outcome, le), 1),
                (PUSH_DURATION, field("sum", outcome), seconds),
            ]
        )
        log.info(
            "Push of asset %s ended %s in %.0f ms (PingOne %s, Correlation-Id %s)",
            asset.pk,
            outcome,
            seconds * 1000,
            status or "did not answer",
            correlation_id or "-",
            extra={"push_outcome": outcome, "duration_ms": round(seconds * 1000, 1)},
        )


def record_rate_budget_wait(seconds: float) -> None:
    """A push found no PingOne budget left and waits this long (rescheduled, no call made)."""
    _record([(RATE_BUDGET, field("waits"), 1), (RATE_BUDGET, field("seconds"), float(seconds))])


def snapshot() -> dict[str, dict[str, str]]:
    """Every metric hash as {key: {field: value}}, read in one round trip (raises if Redis fails)."""
    redis_client = client()
    if redis_client is None:
        return {key: {} for key in KEYS}
    pipe = redis_client.pipeline(transaction=False)
    for key in KEYS:
        pipe.hgetall(key)
    return {
        key: {name.decode(): value.decode() for name, value in values.items()}
        for key, values in zip(KEYS, pipe.execute(), strict=True)
    }
