"""Uploads on gunicorn: 20 people uploading at once, and one request of 50 files.

Starts the emulator (for sign-in) and gunicorn as production runs it (gunicorn.conf.py: 2 sync
worker processes) on a fresh database; no worker, so only the upload is measured. Each of 20
signed-in uploaders posts one PNG of 64x64 a request, one after the other; the latencies of all
requests give p50/p95/p99, and the resident memory of each web process is sampled every 50 ms.
Then one request carries 50 files.

    bench_upload.py [--quick]
"""

import argparse
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_push import emit  # noqa: E402
from bench.stack import REDIS_OTHER, descendants, load, rss_mb, running_stack  # noqa: E402
from tests import images  # noqa: E402

UPLOADERS = 20


class PeakMemory:
    """The largest resident memory any web process reached while the block ran."""

    def __init__(self, stack):
        self.stack, self.peak, self.running = stack, 0.0, True

    def sample(self):
        while self.running:
            for pid in descendants(self.stack.pid("portal"))[1:]:  # the workers, not the arbiter
                try:
                    self.peak = max(self.peak, rss_mb(pid))
                except OSError:
                    continue
            time.sleep(0.05)

    def __enter__(self):
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    per_uploader = 2 if args.quick else 15
    print(f"upload: {UPLOADERS} uploaders x {per_uploader} requests, load {' '.join(load())}", flush=True)
    with running_stack(REDIS_OTHER) as stack:
        with ThreadPoolExecutor(UPLOADERS) as pool:
            sessions = list(pool.map(lambda _: signed_in(stack), range(UPLOADERS)))
        concurrent(stack, sessions, per_uploader)
        one_big_request(stack, sessions[0])


def signed_in(stack):
    session = stack.sign_in("designer@example.com")
    return session, stack.csrf(session, "/environments/production/upload/")


def post(stack, signed, files):
    session, token = signed
    started = time.perf_counter()
    response = session.post(
        f"{stack.url}/environments/production/upload/",
        files=[("files", (name, data)) for name, data in files],
        headers={"Accept": "application/json", "X-CSRFToken": token},
        timeout=120,
    )
    took = (time.perf_counter() - started) * 1000
    ok = response.status_code == 200 and all(f["result"] == "staged" for f in response.json()["files"])
    return took, ok


def concurrent(stack, sessions, per_uploader):
    def uploader(index):
        return [
            post(stack, sessions[index], [(f"u{index}-{n}.png", png(index, n))]) for n in range(per_uploader)
        ]

    with PeakMemory(stack) as memory, ThreadPoolExecutor(UPLOADERS) as pool:
        results = [r for rs in pool.map(uploader, range(UPLOADERS)) for r in rs]
    times = [took for took, _ in results]
    errors = sum(1 for _, ok in results if not ok)
    p50, p95, p99 = (percentile(times, p) for p in (0.5, 0.95, 0.99))
    print(
        f"  {len(results)} requests: p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, "
        f"mean {statistics.mean(times):.0f} ms, errors {errors}, peak RSS {memory.peak:.0f} MB"
    )
    emit(f"upload, {UPLOADERS} at once: p50", round(p50), "ms")
    emit(f"upload, {UPLOADERS} at once: p95", round(p95), "ms")
    emit(f"upload, {UPLOADERS} at once: p99", round(p99), "ms", "under 500", ok=p99 < 500)
    emit(
        f"upload, {UPLOADERS} at once: errors",
        errors,
        "",
        "0",
        ok=errors == 0,
        note=f"{len(results)} requests",
    )
    emit(
        "upload: peak RSS of a web process",
        round(memory.peak),
        "MB",
        note="gunicorn.conf.py: 2 sync worker processes",
    )


def one_big_request(stack, signed):
    files = [(f"big-{n}.png", png(99, n)) for n in range(50)]
    with PeakMemory(stack) as memory:
        took, ok = post(stack, signed, files)
    print(f"  one request of 50 files: {took:.0f} ms, all staged: {ok}, peak RSS {memory.peak:.0f} MB")
    emit("upload: one request of 50 files", round(took), "ms", ok=ok, note=f"peak RSS {memory.peak:.0f} MB")


def png(uploader, n):
    return images.png(size=(64, 64), colour=(uploader * 10 % 256, n % 256, 77))


if __name__ == "__main__":
    main()
