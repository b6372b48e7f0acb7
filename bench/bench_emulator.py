"""Benchmark: create small PNGs through the emulator's Images API from a pool of threads.

python bench/bench_emulator.py [--count 500] [--threads 8] [--data-dir DIR]
"""

import argparse
import io
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.emulator_support import EmulatorProcess  # noqa: E402


def small_png(n):
    """Return a distinct 32x32 PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (n % 256, (n // 256) % 256, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def run(emulator, count, threads):
    """Create count images; return (elapsed seconds, latencies, failures)."""
    token = emulator.worker_token()
    url = f"{emulator.api_url}/environments/{emulator.env_id('Production')}/images"
    payloads = [small_png(n) for n in range(count)]

    def create(data):
        started = time.perf_counter()
        answer = requests.post(
            url,
            data=data,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"},
            timeout=30,
        )
        return time.perf_counter() - started, answer.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(create, payloads))
    elapsed = time.perf_counter() - started
    latencies = sorted(r[0] for r in results)
    failures = sum(1 for r in results if r[1] != 201)
    return elapsed, latencies, failures


def main():
    """Start a fresh emulator, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--data-dir", help="run the emulator with persistence here")
    args = parser.parse_args()
    with EmulatorProcess(data_dir=args.data_dir) as emulator:
        elapsed, latencies, failures = run(emulator, args.count, args.threads)
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    mode = f"data dir {args.data_dir}" if args.data_dir else "in memory"
    print(f"{args.count} creates, {args.threads} threads, {mode}: {elapsed:.2f} s")
    print(f"  {args.count / elapsed:.1f} creates/s   p50 {p50:.1f} ms   p95 {p95:.1f} ms")
    print(f"  failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
