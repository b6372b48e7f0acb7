"""Push throughput: the portal's pipeline against the raw Images API, side by side.

Starts its own emulator, portal (runserver) and one Celery worker of concurrency 4 on Postgres
when DATABASE_URL points to one (SQLite otherwise), then for N small PNGs measures:
the raw API (4 threads, token cached) and the pipeline (upload endpoint, Redis, worker), with no
added latency and with 200 ms per create, and the pipeline under a budget of 20 requests/s.
`--quick` uses fewer images.
"""

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

from images_app import pingone  # noqa: E402
from tests import images  # noqa: E402
from tests.emulator_support import EmulatorProcess, free_port  # noqa: E402
from tests.ids import ADMINISTRATORS, PRODUCTION, WORKER_CLIENT_ID, WORKER_CLIENT_SECRET  # noqa: E402
from tests.portal_stack import PortalStack, emulator_config  # noqa: E402

CREATES = "/images$"
REDIS_DB = "redis://127.0.0.1:6379/8"


class DictCache(dict):
    def set(self, key, value, timeout):
        self[key] = value

    def delete(self, key):
        self.pop(key, None)


def pngs(count, salt):
    return [images.png(size=(8, 8), colour=(n % 256, n // 256 % 256, salt)) for n in range(count)]


def raw_throughput(emulator, count, salt):
    """Images/s of 4 threads calling the Images API directly, with the token cached."""
    token = pingone.WorkerToken(
        f"{emulator.base_url}/{ADMINISTRATORS}/as/token", WORKER_CLIENT_ID, WORKER_CLIENT_SECRET, DictCache()
    )
    token.get()
    clients = [pingone.PingOneClient(emulator.api_url, token) for _ in range(4)]
    data = pngs(count, salt)
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda n: clients[n % 4].create_image(PRODUCTION, data[n], "image/png", f"{n}.png"),
                range(count),
            )
        )
    return count / (time.monotonic() - started)


def pipeline_throughput(stack, session, count, salt):
    """Images/s from the first upload request to the last asset live."""
    data = pngs(count, salt)
    started = time.monotonic()
    ids = []
    for start in range(0, count, 100):
        batch = [(f"{salt}-{n}.png", data[n]) for n in range(start, min(count, start + 100))]
        ids += [f["asset"] for f in stack.upload(session, "production", batch).json()["files"]]
    stack.wait_for(session, "production", ids, {"live"}, timeout=600)
    return count / (time.monotonic() - started)


def start_stack(emulator, port, extra_env):
    redis.Redis.from_url(REDIS_DB).flushdb()
    stack = PortalStack(emulator, port, REDIS_DB, extra_env=extra_env).start(worker=False)
    stack.start_worker(concurrency=4)
    return stack


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer images, for a run under two minutes")
    count = 60 if parser.parse_args().quick else 200
    port = free_port()
    rows = []
    with EmulatorProcess(config=emulator_config([f"http://127.0.0.1:{port}"])) as emulator:
        stack = start_stack(emulator, port, {})
        try:
            session = stack.sign_in("designer@example.com")
            for latency, salt in ((0, 1), (200, 2)):
                emulator.clear_faults()
                if latency:
                    emulator.add_fault(path=CREATES, method="POST", latency_ms=latency, count=1_000_000)
                raw = raw_throughput(emulator, count, salt)
                piped = pipeline_throughput(stack, session, count, salt + 10)
                rows.append((f"push, {latency} ms per create", raw, piped))
        finally:
            emulator.clear_faults()
            stack.stop()
        budgeted = start_stack(emulator, port, {"PINGONE_RATE_LIMIT_PER_SECOND": "20"})
        try:
            session = budgeted.sign_in("designer@example.com")
            emulator.add_fault(path=CREATES, method="POST", latency_ms=200, count=1_000_000)
            reached = pipeline_throughput(budgeted, session, count, 30)
            limited = [r for r in emulator.requests_log() if r["status"] == 429]
        finally:
            emulator.clear_faults()
            budgeted.stop()
    database = "Postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"\n{count} PNGs of 8x8, {database}, one worker of concurrency 4, raw API from 4 threads")
    print(f"{'case':<28}{'raw images/s':>14}{'pipeline images/s':>19}{'ratio pipeline/raw':>20}")
    for name, raw, piped in rows:
        print(f"{name:<28}{raw:>14.1f}{piped:>19.1f}{piped / raw:>20.2f}")
    budget = f"{'budget 20/s, 200 ms':<28}{'20.0':>14}{reached:>19.1f}{reached / 20:>20.2f}"
    print(f"{budget}  (ratio to the budget; 429s: {len(limited)})")


if __name__ == "__main__":
    main()
