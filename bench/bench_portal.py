"""Measure the portal end to end: upload to live, one file at a time and 50 files at once.

Starts its own emulator, portal and Celery worker (2 processes) on free ports, with a
throwaway database and Redis database 13, and prints the figures.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import images  # noqa: E402
from tests.emulator_support import EmulatorProcess, free_port  # noqa: E402
from tests.portal_stack import PortalStack, emulator_config  # noqa: E402

SINGLE_ROUNDS = 20
BATCH = 50


def main():
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    port = free_port()
    config = emulator_config([f"http://127.0.0.1:{port}"])
    with EmulatorProcess(config=config) as emulator:
        stack = PortalStack(emulator, port, "redis://127.0.0.1:6379/13").start()
        try:
            session = stack.sign_in("designer@example.com")
            latencies = []
            for n in range(SINGLE_ROUNDS):
                started = time.monotonic()
                answer = stack.upload(session, "production", [(f"s{n}.png", images.png(colour=(n, 7, 7)))])
                stack.wait_for(session, "production", [answer.json()["files"][0]["asset"]], {"live"})
                latencies.append(time.monotonic() - started)
            latencies.sort()
            print(
                f"one file, upload to live ({SINGLE_ROUNDS} rounds): "
                f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
                f"max {latencies[-1] * 1000:.0f} ms"
            )

            started = time.monotonic()
            files = [(f"b{n}.png", images.png(colour=(n, 99, 9))) for n in range(BATCH)]
            answer = stack.upload(session, "production", files).json()
            staged = time.monotonic() - started
            stack.wait_for(
                session, "production", [f["asset"] for f in answer["files"]], {"live"}, timeout=300
            )
            print(
                f"{BATCH} files in one request: staged in {staged:.2f} s, "
                f"all live after {time.monotonic() - started:.2f} s"
            )
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
