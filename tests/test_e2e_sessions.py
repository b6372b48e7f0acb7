"""Sessions end to end: real portal processes, users signed in through the emulator over HTTP."""

import time

import pytest
import redis

from tests.emulator_support import EmulatorProcess, free_port
from tests.portal_stack import PortalStack, emulator_config

pytestmark = pytest.mark.e2e

DESIGNER = "designer@example.com"
RECHECK_SECONDS = 2


@pytest.fixture(scope="module")
def quick_recheck_stack(stack_redis_url):
    """A portal that re-checks groups every 2 s, with its own emulator and Redis database."""
    # The shared emulator only accepts the shared stack's callback port; a Redis database of its
    # own keeps this stack's worker off the shared stack's tasks.
    port = free_port()
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    redis_url = f"{stack_redis_url.rpartition('/')[0]}/11"
    redis.Redis.from_url(redis_url).flushdb()
    with EmulatorProcess(config=emulator_config(origins)) as emulator:
        running = PortalStack(
            emulator, port, redis_url, extra_env={"PORTAL_SESSION_RECHECK_SECONDS": str(RECHECK_SECONDS)}
        )
        try:
            yield running.start()
        finally:
            running.stop()


def environment_status(stack, session, slug="production"):
    return session.get(f"{stack.url}/environments/{slug}/", allow_redirects=False, timeout=30).status_code


def wait_for_status(stack, session, expected, within):
    """Poll the production gallery until it answers `expected`; return how long that took."""
    started = time.monotonic()
    while (status := environment_status(stack, session)) != expected:
        assert time.monotonic() - started < within, f"still {status}, expected {expected}"
        time.sleep(0.3)
    return time.monotonic() - started


def test_two_sessions_of_one_user_both_stay_signed_in(fresh_stack):
    first = fresh_stack.sign_in(DESIGNER)
    second = fresh_stack.sign_in(DESIGNER)

    for session in (first, second, first):
        home = session.get(f"{fresh_stack.url}/", timeout=30).text
        assert 'data-environment="production"' in home
        assert "Sign in with PingOne" not in home
        assert environment_status(fresh_stack, session) == 200


def test_a_user_removed_from_their_group_loses_access_within_the_recheck_time(quick_recheck_stack):
    stack, emulator = quick_recheck_stack, quick_recheck_stack.emulator
    designer = stack.sign_in(DESIGNER)
    assert environment_status(stack, designer) == 200

    emulator.set_groups(DESIGNER, [])
    try:
        wait_for_status(stack, designer, 404, within=RECHECK_SECONDS + 10)
        home = designer.get(f"{stack.url}/", timeout=30).text
        assert 'data-testid="no-access"' in home  # still signed in, without the environment

        emulator.set_groups(DESIGNER, ["Branding"])
        wait_for_status(stack, designer, 200, within=RECHECK_SECONDS + 10)
    finally:
        emulator.set_groups(DESIGNER, ["Branding"])
