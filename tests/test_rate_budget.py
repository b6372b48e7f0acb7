"""The shared budget of PingOne requests, decided in Redis: the budget itself is the ceiling."""

import threading
import time

import pytest
import redis

from images_app import rate_limit

pytestmark = pytest.mark.e2e  # a real Redis


@pytest.fixture
def budget(settings, stack_redis_url):
    """A budget of 10 requests a second in the stack's Redis db, with no admissions yet."""
    settings.PINGONE_RATE_LIMIT_REDIS_URL = stack_redis_url
    settings.PINGONE_RATE_LIMIT_PER_SECOND = 10
    redis.Redis.from_url(stack_redis_url).delete(rate_limit.NEXT_KEY, rate_limit.PAUSE_KEY)
    return 10


def test_requests_are_spaced_so_that_the_budget_itself_is_the_ceiling(budget):
    assert rate_limit.reserve() == 0.0

    wait = rate_limit.reserve()

    # One request every 110 ms for 10 a second: 9.1 a second in the long run, not fewer.
    assert 0 < wait <= 0.110
    time.sleep(wait + 0.005)
    assert rate_limit.reserve() == 0.0


def test_many_workers_together_never_get_more_than_the_budget_in_any_second(budget):
    admitted, lock = [], threading.Lock()
    stop_at = time.monotonic() + 2.5

    def worker():
        while time.monotonic() < stop_at:
            wait = rate_limit.reserve()
            if wait:
                time.sleep(wait)
                continue
            with lock:
                admitted.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    admitted.sort()
    # Read here, a moment after Redis decided: 0.1 s is left for the threads' scheduling.
    busiest = max(sum(1 for t in admitted if start <= t < start + 0.9) for start in admitted)
    assert busiest <= budget
    assert len(admitted) >= 2 * budget  # about 9 a second for 2.5 s


def test_a_429_pauses_everyone_for_retry_after(budget):
    rate_limit.pause(2)

    wait = rate_limit.reserve()

    assert 1.5 < wait <= 2.0
    assert wait > rate_limit.WAIT_IN_PLACE  # too long to wait inside a push: back to Celery


def test_a_push_during_a_pause_goes_back_to_the_queue_without_using_an_attempt(budget, stage, pingone):
    from images_app import services
    from images_app.models import Status

    asset = stage("production")
    rate_limit.pause(5)

    outcome = services.push_asset(asset.pk)

    asset.refresh_from_db()
    assert outcome.status == Status.QUEUED and 4 < outcome.retry_in <= 5
    assert (asset.status, asset.attempts, asset.claimed_by) == (Status.QUEUED, 0, "")
    assert [r for r in pingone.requests_log() if r["path"].endswith("/images")] == []
