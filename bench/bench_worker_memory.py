"""Worker memory: the resident memory of each Celery process after 1,000 pushes.

Starts the emulator, gunicorn and a worker of concurrency 4 (prefork, as scripts/run-all.sh
runs it) on a fresh database, uploads 1,000 small PNGs (200 with --quick), waits until all are
live and reads the resident memory of the worker's main process and each pool process.

    bench_worker_memory.py [--quick]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_push import Uploaders, emit, pngs, wait_until_live  # noqa: E402
from bench.stack import REDIS_OTHER, descendants, load, rss_mb, running_stack  # noqa: E402

LIMIT_MB = 150


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count = 200 if args.quick else 1000
    print(f"worker memory: {count} pushes, load {' '.join(load())}", flush=True)
    with running_stack(REDIS_OTHER) as stack:
        stack.start_worker(concurrency=4)
        before = {pid: rss_mb(pid) for pid in descendants(stack.pid("worker"))}
        data = pngs(count, 55)
        ids = Uploaders(stack).upload([(f"m{n}.png", data[n]) for n in range(count)], per_request=50)
        wait_until_live(stack, ids)
        after = {pid: rss_mb(pid) for pid in descendants(stack.pid("worker"))}
    main_pid = min(after)
    for pid, mb in sorted(after.items()):
        role = "main" if pid == main_pid else "pool"
        print(
            f"  {role} process {pid}: {before.get(pid, 0):.0f} MB at start, {mb:.0f} MB after {count} pushes"
        )
    largest = max(after.values())
    emit(
        f"worker: largest process after {count} pushes",
        round(largest),
        "MB",
        f"under {LIMIT_MB}",
        ok=largest < LIMIT_MB,
        note="per process: " + ", ".join(f"{mb:.0f}" for _, mb in sorted(after.items())),
    )


if __name__ == "__main__":
    main()
