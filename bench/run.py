"""`make bench` and `make bench-quick`: every benchmark in one go, then one table.

Runs bench_push.py, bench_upload.py, bench_worker_memory.py (the full run only; the quick run
reads the worker's memory after the push benchmark's pushes) and bench_pages.py when it is
there, each as its own process, shows their output as it comes and collects their BENCH rows.

    bench/run.py [--quick]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine():
    cores = os.cpu_count()
    memory = next(
        int(line.split()[1]) // 1024 // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    versions = []
    for command in (["psql", "--version"], ["redis-server", "--version"]):
        try:
            versions.append(
                subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
            )
        except OSError:
            continue
    database = "Postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    return f"{cores} cores, {memory} GiB; {database}; " + "; ".join(versions)


def run(script, args):
    """Run one benchmark, echo its output, return its BENCH rows (or a row saying it failed)."""
    rows = []
    process = subprocess.Popen(
        [sys.executable, str(HERE / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in process.stdout:
        if line.startswith("BENCH "):
            rows.append(json.loads(line[6:]))
        else:
            print(line, end="", flush=True)
    if process.wait():
        rows.append({"figure": f"{script} failed (exit {process.returncode})", "value": "", "ok": False})
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer images: under two minutes in all")
    quick = parser.parse_args().quick
    flags = ["--quick"] if quick else []
    started, load_before = time.monotonic(), Path("/proc/loadavg").read_text().split()[:3]
    plan = ["bench_push.py", "bench_upload.py"]
    if not quick:
        plan.append("bench_worker_memory.py")
    if (HERE / "bench_pages.py").exists():
        plan.append("bench_pages.py")
    rows = []
    for script in plan:
        rows += run(script, flags)
    took = time.monotonic() - started
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\n{'quick' if quick else 'full'} run: {machine()}")
    print(
        f"load average {' '.join(load_before)} at the start, {' '.join(load_after)} at the end; {took:.0f} s"
    )
    print(f"{'figure':<48}{'measured':>16}  {'compared with':<22}{'met':<5}note")
    for row in rows:
        value = f"{row.get('value', '')} {row.get('unit', '')}".strip()
        met = {True: "yes", False: "NO", None: ""}[row.get("ok")]
        print(f"{row['figure']:<48}{value:>16}  {row.get('reference', ''):<22}{met:<5}{row.get('note', '')}")
    sys.exit(1 if any(row.get("ok") is False and "failed" in row["figure"] for row in rows) else 0)


if __name__ == "__main__":
    main()
