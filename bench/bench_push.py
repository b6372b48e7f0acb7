"""Push throughput: the portal's pipeline against the raw Images API, side by side.

Starts its own emulator, gunicorn and one Celery worker of concurrency 4 on a fresh database
(Postgres when DATABASE_URL points to one), then for N small PNGs measures:

- raw: 4 threads POST the PNGs straight to the Images API (token fetched beforehand, one
  keep-alive session per thread);
- pipeline: 4 uploaders post the same number of new PNGs to the upload endpoint, 25 files a
  request, as people dropping files at once, while the worker takes nothing from the push queue
  (Celery's cancel_consumer); then the worker is let go (add_consumer) and the clock runs from
  the first push's claim to the moment the last asset turned live (both as the database recorded
  them): the push throughput, the upload being measured on its own by bench_upload.py;

with no added latency and with 200 ms per create. Beside them: the same images from the first
upload request to the last live, uploads and pushes overlapping (no added latency), and Celery's
own ceiling here: tasks that find their asset gone (one SELECT each), which is the most any push
can reach. Then the pipeline with a budget of 20 requests/s against an emulator that itself
answers 429 above 20 requests/s, as PingOne would. It also reads the CPU time each process spent
per image, which says where the time goes.

    bench_push.py [--quick] [--pool prefork|threads] [--count N]

Lines starting with BENCH are JSON rows for bench/run.py.
"""

import argparse
import json
import os
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import redis
from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (  # noqa: E402
    REDIS_PUSH,
    cpu_seconds,
    descendants,
    load,
    postgres_backends,
    redis_server_pid,
    rss_mb,
    running_stack,
)
from images_app import pingone  # noqa: E402
from tests import images  # noqa: E402
from tests.ids import ADMINISTRATORS, PRODUCTION, WORKER_CLIENT_ID, WORKER_CLIENT_SECRET  # noqa: E402

CREATES = "/images$"
PUSH_QUEUE = "images"
CONCURRENCY = 4
PUSH_TASK = "images_app.push_asset"  # services.PUSH_TASK, named here without setting up Django
UPLOADERS = 4
FILES_PER_REQUEST = 25
BUDGET = 20
# With 200 ms per create, 4 pushes at a time reach at most 4 / 0.2 s = 20 creates/s and in
# practice about 16: the worker, not the budget, would be the limit. The budget case asks how
# close the budget lets the portal come to PingOne's ceiling, so its worker has room to spare.
BUDGET_CONCURRENCY = 8


class DictCache(dict):
    def set(self, key, value, timeout):
        self[key] = value

    def delete(self, key):
        self.pop(key, None)


def emit(figure, value, unit, reference="", ok=None, note=""):
    """One row for the table bench/run.py prints; `ok` says whether a goal was met."""
    row = {"figure": figure, "value": value, "unit": unit, "reference": reference, "ok": ok}
    print("BENCH " + json.dumps({**row, "note": note}), flush=True)


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


class Uploaders:
    """Signed-in sessions, each with its CSRF token, posting batches of files in parallel."""

    def __init__(self, stack, count=UPLOADERS):
        self.stack = stack
        self.sessions = []
        for _ in range(count):
            session = stack.sign_in("designer@example.com")
            self.sessions.append((session, stack.csrf(session, "/environments/production/upload/")))

    def post(self, index, batch):
        session, token = self.sessions[index % len(self.sessions)]
        response = session.post(
            f"{self.stack.url}/environments/production/upload/",
            files=[("files", (name, data)) for name, data in batch],
            headers={"Accept": "application/json", "X-CSRFToken": token},
            timeout=120,
        )
        response.raise_for_status()
        return [f["asset"] for f in response.json()["files"] if f["result"] == "staged"]

    def upload(self, files, per_request=FILES_PER_REQUEST):
        """Post every file, `per_request` a request, from all sessions at once; the asset ids."""
        batches = [files[n : n + per_request] for n in range(0, len(files), per_request)]
        with ThreadPoolExecutor(len(self.sessions)) as pool:
            return [i for ids in pool.map(self.post, range(len(batches)), batches) for i in ids]


def wait_until_live(stack, ids, timeout=600):
    """Poll the database (cheap, and exact: the asset's own updated_at) until every asset is live;
    the time the last one turned live, as a Unix time."""
    deadline = time.monotonic() + timeout
    with stack.db() as conn:
        while True:
            live, failed, last = conn.execute(
                "SELECT count(*) FILTER (WHERE status = 'live'), count(*) FILTER (WHERE status = 'failed'),"
                " max(updated_at) FROM images_app_asset WHERE id = ANY(%s)",
                [ids],
            ).fetchone()
            if live == len(ids):
                return last.timestamp()
            if failed or time.monotonic() > deadline:
                raise RuntimeError(f"{live} of {len(ids)} live, {failed} failed\n{stack.diagnostics()}")
            time.sleep(0.05)


class CpuMeter:
    """CPU seconds each part of the product spent between start() and stop()."""

    def __init__(self, stack, emulator):
        self.stack, self.emulator = stack, emulator

    def read(self):
        return {
            "web (gunicorn)": cpu_seconds(descendants(self.stack.pid("portal"))),
            "worker (celery)": cpu_seconds(descendants(self.stack.pid("worker"))),
            "emulator": cpu_seconds(descendants(self.emulator.process.pid)),
            "postgres": {pid: cpu_seconds([pid]) for pid in postgres_backends(self.stack.database_url)},
            "redis (whole server)": cpu_seconds([redis_server_pid()]),
            "bench client": sum(os.times()[:2]),
        }

    def __enter__(self):
        self.before = self.read()
        return self

    def __exit__(self, *exc):
        after = self.read()
        self.spent = {name: _spent(self.before[name], after[name]) for name in after}


def _spent(before, after):
    if isinstance(after, dict):  # server processes that come and go: those there both times
        return sum(after[pid] - before[pid] for pid in after if pid in before)
    return after - before


def pipeline_throughput(stack, uploaders, count, salt):
    """Images/s from the first upload request to the last asset live."""
    data = pngs(count, salt)
    started = time.time()
    ids = uploaders.upload([(f"{salt}-{n}.png", data[n]) for n in range(count)])
    assert len(ids) == count, f"only {len(ids)} of {count} staged"
    return count / (wait_until_live(stack, ids) - started)


class PushQueue:
    """The worker's consumption of the push queue, stopped and started with Celery's remote
    control (the worker stays up, warm, with its connections)."""

    def __init__(self, stack):
        self.app = Celery(broker=stack.env["REDIS_URL"])

    def hold(self):
        self._ask(self.app.control.cancel_consumer)

    def release(self):
        self._ask(self.app.control.add_consumer)

    def _ask(self, command):
        if not command(PUSH_QUEUE, reply=True, limit=1, timeout=10):
            raise RuntimeError(f"the worker did not answer {command.__name__}")


def push_throughput(stack, uploaders, queue, count, salt, meter):
    """Images/s from the first push's claim to the last asset live (both times as the database
    recorded them); the images are uploaded through the upload endpoint first, with the worker
    held. Celery's add_consumer itself can take up to a second (the worker's poll of its other
    queues has to end first): that is not push time, so the clock starts at the first claim."""
    data = pngs(count, salt)
    queue.hold()
    ids = uploaders.upload([(f"{salt}-{n}.png", data[n]) for n in range(count)])
    assert len(ids) == count, f"only {len(ids)} of {count} staged"
    with meter:
        queue.release()
        last = wait_until_live(stack, ids)
    with stack.db() as conn:
        (first,) = conn.execute(
            "SELECT min(created_at) FROM images_app_auditevent"
            " WHERE asset_id = ANY(%s) AND to_status = 'pushing'",
            [ids],
        ).fetchone()
    return count / (last - first.timestamp())


def celery_ceiling(stack, queue, count):
    """Tasks/s of the worker on push tasks whose asset is gone: one SELECT and done. What Celery
    itself (broker round trips, the hand-over to a pool process, acknowledgement) allows. The
    clock starts when the worker takes the first message, as the push figure's does."""
    app, broker = queue.app, redis.Redis.from_url(stack.env["REDIS_URL"])
    queue.hold()
    for n in range(count):
        app.send_task(PUSH_TASK, args=[10**9 + n], queue=PUSH_QUEUE)
    queue.release()
    while (waiting := broker.llen(PUSH_QUEUE)) == count:
        time.sleep(0.001)
    started = time.monotonic()
    while broker.llen(PUSH_QUEUE) or broker.hlen("unacked"):
        time.sleep(0.005)
    return waiting / (time.monotonic() - started)


def _when(entry):
    return datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()


def most_creates_in_a_second(log, since):
    times = sorted(
        _when(r)
        for r in log
        if r["method"] == "POST"
        and r["path"].endswith("/images")
        and r["status"] == 201
        and _when(r) >= since
    )
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer images, for a run under two minutes")
    parser.add_argument("--count", type=int)
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads"])
    args = parser.parse_args()
    count = args.count or (60 if args.quick else 200)
    print(f"push: {count} PNGs of 8x8, pool {args.pool}, load {' '.join(load())}", flush=True)
    with running_stack(REDIS_PUSH) as stack:
        emulator = stack.emulator
        stack.start_worker(concurrency=CONCURRENCY, pool=args.pool)
        uploaders, queue = Uploaders(stack), PushQueue(stack)
        # One warm-up image through each path: the token, connections and imports.
        raw_throughput(emulator, 4, 200)
        pipeline_throughput(stack, uploaders, 4, 201)
        ceiling = celery_ceiling(stack, queue, 2 * count)
        for latency, salt in ((0, 1), (200, 2)):
            emulator.clear_faults()
            if latency:
                emulator.add_fault(path=CREATES, method="POST", latency_ms=latency, count=1_000_000)
            raw = raw_throughput(emulator, count, salt)
            cpu = CpuMeter(stack, emulator)
            piped = push_throughput(stack, uploaders, queue, count, salt + 10, cpu)
            report(latency, raw, piped, cpu.spent, count, ceiling)
            phases(stack, latency, piped, count)
        emulator.clear_faults()
        end_to_end(stack, uploaders, count)
        worker_memory(stack, 3 * count + 4)
        budget(stack, emulator, uploaders, count, args.pool)


def report(latency, raw, piped, spent, count, ceiling):
    print(f"  {latency} ms per create: raw {raw:.1f}/s, pipeline {piped:.1f}/s, ratio {piped / raw:.2f}")
    print(
        "    CPU ms per image in the pipeline: "
        + ", ".join(f"{k} {v / count * 1000:.2f}" for k, v in spent.items())
    )
    note = f"raw {raw:.0f}/s" if not latency else f"raw {raw:.1f}/s; ceiling 4 / (0.2 s + overhead)"
    emit(f"push, {latency} ms per create: pipeline", round(piped, 1), "images/s", f"raw API {raw:.1f}/s")
    target = 0.5 if latency == 0 else 0.95
    emit(
        f"push, {latency} ms per create: ratio pipeline/raw",
        round(piped / raw, 2),
        "",
        f"at least {target}",
        ok=piped / raw >= target,
        note=note,
    )
    if latency == 0:
        emit(
            "push: Celery alone (asset gone, one SELECT)",
            round(ceiling),
            "tasks/s",
            f"raw API {raw:.0f}/s",
            note=f"the most any push can reach here: {ceiling / raw:.2f} of raw",
        )
        total = sum(v for k, v in spent.items() if k != "bench client")
        parts = ", ".join(f"{k.split()[0]} {v / count * 1000:.1f}" for k, v in spent.items() if v > 0)
        emit(
            "push, 0 ms: CPU per image (product)",
            round(total / count * 1000, 1),
            "ms",
            "2 cores",
            note=f"{parts}; CPU-bound ceiling {2 * count / total:.0f}/s",
        )


def phases(stack, latency, rate, count):
    """Where a push's time goes, from the worker's own lines for the last `count` pushes: Celery's
    "succeeded in" (the task), the PingOne call's "answered 201 in", and each pool process's time
    per push (concurrency / throughput), whose rest is Celery's hand-over between two tasks."""
    log = stack.output("worker")
    tasks = [float(s) * 1000 for s in re.findall(r"push_asset\[[^]]+\] succeeded in ([0-9.]+)s", log)]
    calls = [float(ms) for ms in re.findall(r"POST \S+/images answered 201 in ([0-9]+) ms", log)]
    cycle = CONCURRENCY / rate * 1000
    task, call = statistics.mean(tasks[-count:]), statistics.mean(calls[-count:])
    split = f"PingOne's answer {call:.1f}, rest of task {task - call:.1f}, between tasks {cycle - task:.1f}"
    print(f"    per push and pool process: {cycle:.1f} ms = {split}")
    emit(
        f"push, {latency} ms per create: time per push",
        round(cycle, 1),
        "ms",
        f"PingOne's answer {call:.1f}",
        note=split,
    )


def end_to_end(stack, uploaders, count):
    """The same number of images from the first upload request to the last live, uploads and
    pushes sharing the 2 cores (no added latency)."""
    rate = pipeline_throughput(stack, uploaders, count, 3)
    print(f"  upload to live, 0 ms per create: {rate:.1f} images/s")
    emit(
        "push, 0 ms: upload to live",
        round(rate, 1),
        "images/s",
        note="first upload request to last live; uploads and pushes overlap",
    )


def worker_memory(stack, pushes):
    """The worker's processes after this run's pushes (bench_worker_memory.py does 1,000)."""
    sizes = [rss_mb(pid) for pid in descendants(stack.pid("worker"))]
    print(f"  worker RSS after {pushes} pushes: " + ", ".join(f"{mb:.0f} MB" for mb in sizes))
    emit(
        f"worker: largest process after {pushes} pushes",
        round(max(sizes)),
        "MB",
        "under 150",
        ok=max(sizes) < 150,
        note="per process: " + ", ".join(f"{mb:.0f}" for mb in sizes),
    )


def budget(stack, emulator, uploaders, count, pool):
    """Throughput under a budget of 20 requests/s, against an emulator limited to 20 requests/s."""
    stack.stop_worker()
    stack.env["PINGONE_RATE_LIMIT_PER_SECOND"] = str(BUDGET)
    stack.start_worker(concurrency=BUDGET_CONCURRENCY, pool=pool)
    emulator.clear_faults()
    emulator.set_rate_limit(BUDGET)
    emulator.add_fault(path=CREATES, method="POST", latency_ms=200, count=1_000_000)
    since = time.time()
    end_to_end = pipeline_throughput(stack, uploaders, count, 30)
    log = emulator.requests_log()
    limited = len([r for r in log if r["status"] == 429 and _when(r) >= since])
    creates = sorted(_when(r) for r in log if _is_create(r) and r["status"] == 201 and _when(r) >= since)
    reached = (len(creates) - 1) / (creates[-1] - creates[0])
    most = most_creates_in_a_second(log, since)
    print(
        f"  budget {BUDGET}/s, 200 ms, concurrency {BUDGET_CONCURRENCY}: {reached:.1f} creates/s at PingOne,"
        f" {end_to_end:.1f}/s from the first"
        f" upload to the last live, 429s {limited}, most in a second {most}"
    )
    emit(
        f"budget {BUDGET}/s, 200 ms: creates/s at PingOne",
        round(reached, 1),
        "creates/s",
        "at least 18",
        ok=reached >= 18,
        note=f"first to last create, as PingOne counts them; worker concurrency {BUDGET_CONCURRENCY}",
    )
    emit(
        f"budget {BUDGET}/s: ratio reached/budget",
        round(reached / BUDGET, 2),
        "",
        "no 429",
        ok=limited == 0,
        note=f"429s: {limited}; most creates in one second: {most}",
    )
    emit(
        f"budget {BUDGET}/s: pipeline, upload to live",
        round(end_to_end, 1),
        "images/s",
        note="includes the uploads and the first push's start",
    )


def _is_create(entry):
    return entry["method"] == "POST" and entry["path"].endswith("/images")


if __name__ == "__main__":
    threading.excepthook = lambda info: sys.__excepthook__(info.exc_type, info.exc_value, info.exc_traceback)
    main()
