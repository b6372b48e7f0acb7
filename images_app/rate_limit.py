"""One budget of PingOne requests per second for every worker on every machine, kept in Redis.

Requests are spaced evenly, one every WINDOW_MS / limit milliseconds (a generic cell rate, no
bursts: a burst would queue at PingOne and arrive bunched), decided in one Lua script on
Redis's own clock; and a 429 from PingOne pauses everyone.
"""

import functools
import logging

import redis
from django.conf import settings

log = logging.getLogger(__name__)

NEXT_KEY = "portal:pingone:next-request-at"
PAUSE_KEY = "portal:pingone:paused-until"
# PingOne counts the requests that arrive in any one second. A request admitted here reaches it
# a little later, and not always equally later (scheduling on a busy machine, a new connection):
# `limit` requests are spread over a little more than PingOne's second, so that they cannot
# arrive within one second there unless one is held back by more than the difference. 100 ms
# covers a 2-core machine at a load of 10; the ceiling is then limit / 1.1 requests a second.
WINDOW_MS = 1100
# A push waits this long for the budget in place; a longer wait (a 429's pause) goes back to Celery.
WAIT_IN_PLACE = 1.0

# KEYS: next, pause. ARGV: limit (0: none), window ms. Returns ms to wait; 0: admitted.
RESERVE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local paused_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused_until > now_ms then
  return paused_until - now_ms
end
local limit = tonumber(ARGV[1])
if limit == 0 then
  return 0
end
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if next_at > now_ms then
  return next_at - now_ms
end
local interval = math.ceil(tonumber(ARGV[2]) / limit)
redis.call('SET', KEYS[1], now_ms + interval, 'PX', interval * 2)
return 0
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


@functools.cache
def _redis(url):
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    return client, client.register_script(RESERVE), client.register_script(PAUSE)


def reserve() -> float:
    """Take one request from the shared budget: 0 when admitted, else the seconds to wait.

    Without PINGONE_RATE_LIMIT_PER_SECOND there is no budget (only 429 pauses). If Redis cannot
    be asked, the request goes ahead: the broker lives there too, so no worker gets far.
    """
    limit = settings.PINGONE_RATE_LIMIT_PER_SECOND
    if not settings.PINGONE_RATE_LIMIT_REDIS_URL:
        return 0.0
    try:
        _, reserve_script, _ = _redis(settings.PINGONE_RATE_LIMIT_REDIS_URL)
        wait_ms = reserve_script(keys=[NEXT_KEY, PAUSE_KEY], args=[limit or 0, WINDOW_MS])
    except redis.RedisError as exc:
        log.warning("The PingOne request budget is unavailable (%s); going ahead", type(exc).__name__)
        return 0.0
    return wait_ms / 1000


def pause(seconds: float) -> None:
    """After a 429: every worker waits this long before its next request to PingOne."""
    if not settings.PINGONE_RATE_LIMIT_REDIS_URL:
        return
    try:
        _, _, pause_script = _redis(settings.PINGONE_RATE_LIMIT_REDIS_URL)
        pause_script(keys=[PAUSE_KEY], args=[max(1, int(seconds * 1000))])
    except redis.RedisError as exc:
        log.warning("Could not share PingOne's Retry-After (%s)", type(exc).__name__)
