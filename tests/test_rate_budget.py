"""The shared budget of PingOne requests, decided in Redis: the budget itself is the ceiling."""

import threading
import time

import pytest
import redis

from images_app import rate_limit

pytestmark = pytest.mark.e2e  # a real Redis

INTERVAL = rate_limit.WINDOW_MS / 10 / 1000  # seconds between places at 10 a second


@pytest.fixture
def budget(settings, stack_redis_url):
    """A budget of 10 requests a second in the stack's Redis db, with no places taken yet."""
    settings.PINGONE_RATE_LIMIT_REDIS_URL = stack_redis_url
    settings.PINGONE_RATE_LIMIT_PER_SECOND = 10
    redis.Redis.from_url(stack_redis_url).delete(rate_limit.NEXT_KEY, rate_limit.PAUSE_KEY)
    return 10


def test_places_are_handed_out_one_interval_apart_in_the_order_asked(budget):
    places = [rate_limit.reserve() for _ in range(4)]

    assert all(place.held for place in places)
    assert places[0].wait == 0.0
    # 108 ms apart for 10 a second (9.3 a second in the long run, not fewer), each counted from
    # the one before it, not from when it was asked for.
    for n, place in enumerate(places[1:], start=1):
        assert n * INTERVAL - 0.01 < place.wait <= n * INTERVAL


def test_a_late_sender_does_not_push_the_later_places_back(budget):
    first = rate_limit.reserve()
    time.sleep(3 * INTERVAL)  # the line was idle: the next place is now again
    assert rate_limit.reserve().wait == 0.0

    second = rate_limit.reserve()
    time.sleep(second.wait + 0.05)  # its holder sends 50 ms late

    assert first.held and 0 < rate_limit.reserve().wait < INTERVAL - 0.04


def test_a_place_further_off_than_the_longest_wait_is_not_taken(budget):
    held = [rate_limit.reserve() for _ in range(10)]  # the tenth is 0.97 s away
    assert all(place.held for place in held)

    too_far = rate_limit.reserve()
    still_too_far = rate_limit.reserve()

    assert not too_far.held and too_far.wait > rate_limit.WAIT_IN_PLACE
    # Refusing took nothing: the line did not grow.
    assert still_too_far.wait == pytest.approx(too_far.wait, abs=0.005)
    assert rate_limit.reserve(max_wait=2).held


def test_many_workers_together_never_get_more_than_the_budget_in_any_second(budget):
    sent, lock = [], threading.Lock()
    stop_at = time.monotonic() + 2.5

    def worker():
        while time.monotonic() < stop_at:
            wait = rate_limit.take()
            if wait:
                time.sleep(wait)
                continue
            with lock:
                sent.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sent.sort()
    # Read here, a moment after each place came: 0.1 s is left for the threads' scheduling.
    busiest = max(sum(1 for t in sent if start <= t < start + 0.9) for start in sent)
    assert busiest <= budget
    # Every place was used: 2.5 s at 9.3 a second (the old "now if the interval has passed"
    # rule lost the time each sender overslept, and fell short of this).
    assert len(sent) >= 2.5 / INTERVAL - 1


def test_a_429_pauses_everyone_for_retry_after(budget):
    rate_limit.pause(2)

    place = rate_limit.reserve()

    assert not place.held and 1.5 < place.wait <= 2.0  # too long to wait inside a push: back to Celery
    assert rate_limit.reserve(max_wait=3).held


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


def test_a_sender_held_up_past_its_place_takes_a_new_one_instead_of_sending_bunched(budget, monkeypatch):
    real_sleep, held_up = time.sleep, []

    def sleep_held_up_once(seconds):
        real_sleep(seconds + (0.06 if seconds and not held_up else 0))  # a busy machine, once
        held_up.append(seconds)

    assert rate_limit.take() == 0.0
    monkeypatch.setattr(rate_limit.time, "sleep", sleep_held_up_once)

    assert rate_limit.take() == 0.0

    # The place 108 ms away came while this sender was held up 60 ms more: it took the next one.
    assert len(held_up) == 2 and held_up[1] < INTERVAL - 0.04
    monkeypatch.setattr(rate_limit.time, "sleep", real_sleep)
    assert rate_limit.reserve().wait > INTERVAL - 0.02  # and the line moved on by two places
