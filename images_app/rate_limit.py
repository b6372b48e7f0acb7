"""One budget of PingOne requests per second for every worker on every machine, kept in Redis.

The budget is the ceiling: up to `limit` requests in any window of WINDOW_MS, the last admissions
kept in one sorted set and decided in one Lua script on Redis's own clock, so a burst of the full
count goes at once and the next request waits only until the oldest leaves the window. A 429
from PingOne pauses everyone.
"""

import functools
import logging
import os

import redis
from django.conf import settings

log = logging.getLogger(__name__)

ADMITTED_KEY = "portal:pingone:admitted"
PAUSE_KEY = "portal:pingone:paused-until"
# PingOne counts the requests that arrive in any one second. A request admitted here reaches it
# a few milliseconds later, and not always the same few: the window is longer than PingOne's
# second by more than that spread, so `limit` admissions never arrive within one second there.
WINDOW_MS = 1050
# A push waits this long for the budget in place; a longer wait (a 429's pause) goes back to Celery.
WAIT_IN_PLACE = 1.0

# KEYS: admitted, pause. ARGV: limit (0: none), window ms, a unique member. Returns ms to wait;
# 0: admitted.
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
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now_ms + 1)
end
redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
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
        wait_ms = reserve_script(
            keys=[ADMITTED_KEY, PAUSE_KEY], args=[limit or 0, WINDOW_MS, os.urandom(8).hex()]
        )
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
