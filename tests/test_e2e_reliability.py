"""Reliability with the real parts: workers killed or stopped mid-push, Redis going away, one shared
rate budget across workers, and a soak with PingOne answering errors."""

import itertools
import subprocess
import time
from datetime import datetime

import pytest
import redis

from tests import images
from tests.emulator_support import EmulatorProcess, free_port
from tests.ids import PRODUCTION
from tests.portal_stack import PortalStack, emulator_config

pytestmark = pytest.mark.e2e

CREATES = "/images$"


class RedisServer:
    """A Redis of the test's own, on a free port, that the test may stop and start again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def own_stack(extra_env):
    """A portal with its own emulator, Redis and database; a worker with beat inside is started."""

    def start():
        port = free_port()
        emulator = EmulatorProcess(config=emulator_config([f"http://127.0.0.1:{port}"])).start()
        server = RedisServer().start()
        env = {"PORTAL_SWEEP_SECONDS": "2", "PORTAL_PUSH_MAX_ATTEMPTS": "12", **extra_env}
        stack = PortalStack(emulator, port, server.url, extra_env=env).start(worker=False)
        stack.redis_server = server
        return stack

    def stop(stack):
        stack.stop()
        stack.redis_server.stop()
        stack.emulator.stop()

    return start, stop


@pytest.fixture(scope="module")
def lab():
    start, stop = own_stack({})
    stack = start()
    stack.start_worker(beat=True)
    yield stack
    stop(stack)


@pytest.fixture
def fresh_lab(lab):
    lab.emulator.reset()
    yield lab
    lab.emulator.clear_faults()


# Every image this module uploads differs from every other: the stack's database outlives tests.
_colours = itertools.count()


def unique_png():
    n = next(_colours)
    return images.png(size=(4, 4), colour=(n % 256, n // 256 % 256, 77))


def upload_many(stack, session, count, prefix):
    ids = []
    for start in range(0, count, 100):
        batch = [(f"{prefix}{n}.png", unique_png()) for n in range(start, min(count, start + 100))]
        answer = stack.upload(session, "production", batch).json()["files"]
        assert all(a["result"] == "staged" for a in answer), [a for a in answer if a["result"] != "staged"]
        ids += [a["asset"] for a in answer]
    return ids


def wait_for_status(stack, session, asset_id, status, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if next(a for a in stack.assets(session, "production") if a["id"] == asset_id)["status"] == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"asset {asset_id} never was {status}\n{stack.diagnostics()}")


def stored_per_sha(emulator):
    counts = {}
    for image in emulator.images(PRODUCTION):
        counts[image["received_sha256"]] = counts.get(image["received_sha256"], 0) + 1
    return counts


def test_a_soak_with_pingone_answering_errors_ends_with_one_image_per_asset(fresh_lab):
    stack, emulator = fresh_lab, fresh_lab.emulator
    emulator.add_fault(path=CREATES, method="POST", status=503, probability=0.10, count=100_000)
    emulator.add_fault(
        path=CREATES, method="POST", status=429, retry_after=1, probability=0.05, count=100_000
    )
    designer = stack.sign_in("designer@example.com")

    ids = upload_many(stack, designer, 300, "soak")
    pushed = stack.wait_for(designer, "production", ids, {"live"}, timeout=300)

    statuses = [
        r["status"]
        for r in emulator.requests_log()
        if r["method"] == "POST" and r["path"].endswith("/images")
    ]
    assert statuses.count(503) > 0 and statuses.count(429) > 0  # the faults did hit
    per_sha = stored_per_sha(emulator)
    assert sorted(per_sha.values()) == [1] * 300
    assert {a["sha256"] for a in pushed} == set(per_sha)


def test_a_worker_stopped_mid_push_finishes_it(fresh_lab):
    stack, emulator = fresh_lab, fresh_lab.emulator
    emulator.add_fault(path=CREATES, method="POST", latency_ms=3000, count=1)
    designer = stack.sign_in("designer@example.com")
    (asset_id,) = upload_many(stack, designer, 1, "sigterm")
    wait_for_status(stack, designer, asset_id, "pushing")

    stack.stop_worker()  # SIGTERM, as a deploy does
    stack.start_worker(beat=True)

    (pushed,) = stack.wait_for(designer, "production", [asset_id], {"live"}, timeout=60)
    assert stored_per_sha(emulator) == {pushed["sha256"]: 1}
    assert pushed["possible_orphan"] is None


def test_a_worker_killed_mid_push_is_recovered_without_anyone_acting(fresh_lab):
    stack, emulator = fresh_lab, fresh_lab.emulator
    emulator.add_fault(path=CREATES, method="POST", latency_ms=3000, count=1)
    designer = stack.sign_in("designer@example.com")
    (asset_id,) = upload_many(stack, designer, 1, "sigkill")
    wait_for_status(stack, designer, asset_id, "pushing")

    stack.kill_worker()
    stack.start_worker(beat=True)

    (pushed,) = stack.wait_for(designer, "production", [asset_id], {"live"}, timeout=120)
    live = [a for a in stack.assets(designer, "production") if a["status"] == "live"]
    assert len(emulator.images(PRODUCTION)) <= len(live) + 1
    assert pushed["possible_orphan"] is not None
    page = designer.get(f"{stack.url}/assets/{asset_id}/", timeout=30).text
    assert "Possible orphan" in page
    admin = stack.sign_in("admin@example.com")
    orphans = stack.assets(admin, "production", orphans="1")
    assert [a["id"] for a in orphans] == [asset_id]


def test_uploads_while_redis_is_down_go_live_within_a_minute_of_its_return(fresh_lab):
    stack = fresh_lab
    designer = stack.sign_in("designer@example.com")
    stack.redis_server.stop()
    try:
        ids = upload_many(stack, designer, 3, "outage")  # accepted while Redis is away
    finally:
        stack.redis_server.start()
    back = time.monotonic()

    stack.wait_for(designer, "production", ids, {"live"}, timeout=60)

    assert time.monotonic() - back < 60


@pytest.fixture(scope="module")
def budgeted():
    start, stop = own_stack({"PINGONE_RATE_LIMIT_PER_SECOND": "10"})
    stack = start()
    stack.start_worker(name="worker", concurrency=4, beat=True)
    stack.start_worker(name="worker2", concurrency=4)
    yield stack
    stop(stack)


def creates_per_second(log):
    """The most creates PingOne admitted in any one-second window of the request log."""
    times = sorted(
        datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
        for r in log
        if r["method"] == "POST" and r["path"].endswith("/images") and r["status"] == 201
    )
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_two_workers_share_one_rate_budget_and_never_meet_a_429(budgeted):
    stack, emulator = budgeted, budgeted.emulator
    emulator.set_rate_limit(10)  # PingOne's own limit, at the budget
    designer = stack.sign_in("designer@example.com")

    ids = upload_many(stack, designer, 60, "budget")
    stack.wait_for(designer, "production", ids, {"live"}, timeout=120)

    log = emulator.requests_log()
    assert [r for r in log if r["status"] == 429] == []
    assert creates_per_second(log) <= 10
    assert len(emulator.images(PRODUCTION)) == 60


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"status": 429, "retry_after": 1, "count": 3}, "live"),
        ({"status": 500, "count": 2}, "live"),
        ({"status": 400, "count": 1}, "failed"),
    ],
    ids=["429 three times", "500 twice", "400"],
)
def test_the_known_failures_end_as_they_should(fresh_lab, fault, status):
    stack, emulator = fresh_lab, fresh_lab.emulator
    emulator.add_fault(path=CREATES, method="POST", **fault)
    designer = stack.sign_in("designer@example.com")
    (asset_id,) = upload_many(stack, designer, 1, f"known{fault['status']}")

    (asset,) = stack.wait_for(designer, "production", [asset_id], {status}, timeout=60)

    assert len(emulator.images(PRODUCTION)) == (1 if status == "live" else 0)
    if status == "failed":
        assert asset["attempts"] == 1 and asset["error"]["code"] == "INVALID_DATA"


def test_a_ten_second_outage_in_a_batch_of_20_ends_with_twenty_images(fresh_lab):
    stack, emulator = fresh_lab, fresh_lab.emulator
    designer = stack.sign_in("designer@example.com")
    emulator.add_fault(path=CREATES, method="POST", status=503, count=100_000)
    ids = upload_many(stack, designer, 20, "outage20")
    time.sleep(10)
    emulator.clear_faults()

    stack.wait_for(designer, "production", ids, {"live"}, timeout=120)

    assert sorted(stored_per_sha(emulator).values()) == [1] * 20
