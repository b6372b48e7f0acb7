"""One budget of PingOne requests per second for every worker on every machine, kept in Redis.

Each request takes a place in one line shared by all workers: places are WINDOW_MS / limit
apart (a generic cell rate, no bursts: a burst would queue at PingOne and arrive bunched), handed
out in one Lua script on Redis's own clock. A place is the next free one, not "now if nothing was
sent in the last interval": a worker that sleeps a moment too long does not push every later
request back, so the budget itself stays the ceiling. A 429 from PingOne pauses everyone.
"""

import functools
import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings

log = logging.getLogger(__name__)

NEXT_KEY = "portal:pingone:next-request-at"
PAUSE_KEY = "portal:pingone:paused-until"
# PingOne counts the requests that arrive in any one second. A request sent at its place reaches
# it a little later, and not always equally later (scheduling on a busy machine, a new
# connection): `limit` places are spread over a little more than PingOne's second, so that no
# `limit + 1` requests can arrive within one second there unless one is held back by more than
# the difference. 80 ms covers a 2-core machine at a load of about 8; the ceiling is then
# limit / 1.08 requests a second (18.5 of 20).
WINDOW_MS = 1080
# A push waits this long for its place; a longer wait (a 429's pause, a long line) goes back to
# Celery, and takes no place.
WAIT_IN_PLACE = 1.0
# A sender held up longer than this past its place (a busy machine) takes a new one instead of
# sending: so late, it would use up most of the margin above and arrive bunched with the next.
TOO_LATE = 0.03
# After this many places missed in a row the request goes anyway, rather than never.
RETAKES = 3

# KEYS: next, pause. ARGV: limit (0: none), window ms, longest wait ms.
# Returns {held (1/0), ms until the place}. Times in microseconds, Redis's clock.
RESERVE = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local limit = tonumber(ARGV[1])
local at = math.max(now_us, tonumber(redis.call('GET', KEYS[2]) or '0') * 1000)
if limit > 0 then
  at = math.max(at, tonumber(redis.call('GET', KEYS[1]) or '0'))
end
local wait_ms = math.ceil((at - now_us) / 1000)
if wait_ms > tonumber(ARGV[3]) then
  return {0, wait_ms}
end
if limit > 0 then
  local interval = math.floor(tonumber(ARGV[2]) * 1000 / limit)
  local keep_ms = wait_ms + 2 * math.ceil(interval / 1000)
  redis.call('SET', KEYS[1], string.format('%d', at + interval), 'PX', keep_ms)
end
return {1, wait_ms}
"""

# KEYS: pause. ARGV: ms. Extends the pause, never shortens it.
PAUSE = """
local now = redis.call('TIME')
local until_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_ms, 'PX', ARGV[1])
end
return until_ms
"""


@dataclass(frozen=True)
class Place:
    """A request's place in the budget: `wait` seconds from now. Only a `held` place is the
    caller's: it sleeps `wait`, then sends. One not held was too far off and is nobody's."""

    held: bool
    wait: float = 0.0


NOW = Place(held=True)


@functools.cache
def _redis(url):
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    return client, client.register_script(RESERVE), client.register_script(PAUSE)


def reserve(max_wait: float = WAIT_IN_PLACE) -> Place:
    """Take the next place for one request, if it comes within `max_wait` seconds.

    Without PINGONE_RATE_LIMIT_PER_SECOND every place is now, unless a 429 paused everyone. If
    Redis cannot be asked, the request goes ahead: the broker lives there too, so no worker
    gets far.
    """
    if not settings.PINGONE_RATE_LIMIT_REDIS_URL:
        return NOW
    limit = settings.PINGONE_RATE_LIMIT_PER_SECOND or 0
    try:
        _, reserve_script, _ = _redis(settings.PINGONE_RATE_LIMIT_REDIS_URL)
        held, wait_ms = reserve_script(
            keys=[NEXT_KEY, PAUSE_KEY], args=[limit, WINDOW_MS, int(max_wait * 1000)]
        )
    except redis.RedisError as exc:
        log.warning("The PingOne request budget is unavailable (%s); going ahead", type(exc).__name__)
        return NOW
    return Place(held=bool(held), wait=wait_ms / 1000)


def take(max_wait: float = WAIT_IN_PLACE) -> float:
    """Wait for this request's place, then return 0: send now. A place further off than
    `max_wait` is not taken and its wait is returned instead (the caller goes back to its queue)."""
    for _ in range(RETAKES):
        place = reserve(max_wait)
        if not place.held:
            return place.wait
        due = time.monotonic() + place.wait
        time.sleep(place.wait)
        if time.monotonic() - due <= TOO_LATE:
            break
    return 0.0


def wait_for_place() -> None:
    """Block until this request's place comes, however long the line (for runs that are not
    pushes, such as reconcile, which have nowhere else to wait)."""
    while wait := take():
        time.sleep(wait)


def pause(seconds: float) -> None:
    """After a 429: every worker waits this long before its next request to PingOne."""
    if not settings.PINGONE_RATE_LIMIT_REDIS_URL:
        return
    try:
        _, _, pause_script = _redis(settings.PINGONE_RATE_LIMIT_REDIS_URL)
        pause_script(keys=[PAUSE_KEY], args=[max(1, int(seconds * 1000))])
    except redis.RedisError as exc:
        log.warning("Could not share PingOne's Retry-After (%s)", type(exc).__name__)
