"""The product as the benchmarks run it: the emulator, gunicorn and Celery workers, on a fresh
database, plus what the benchmarks read off the processes (CPU time, resident memory)."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.emulator_support import EmulatorProcess, free_port  # noqa: E402
from tests.portal_stack import PortalStack, emulator_config  # noqa: E402

# Benchmarks keep to Redis databases the suite and `make run` do not use.
REDIS_PUSH = "redis://127.0.0.1:6379/8"
REDIS_OTHER = "redis://127.0.0.1:6379/7"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchStack(PortalStack):
    """A PortalStack served by gunicorn as in production (the checked-in gunicorn.conf.py: sync
    workers, WEB_CONCURRENCY of them), with workers of a chosen pool."""

    def __init__(self, emulator, port, redis_url, extra_env=None, web_workers=2):
        redis.Redis.from_url(redis_url).flushdb()
        super().__init__(emulator, port, redis_url, extra_env=extra_env)
        self.web_workers = web_workers

    def start(self):
        """Migrate, register the environments and start gunicorn; the worker is the benchmark's."""
        return super().start(worker=False, server="gunicorn", web_processes=self.web_workers)

    def pid(self, name):
        return self.processes[name][0].pid

    def db(self):
        return psycopg.connect(self.database_url, autocommit=True)


@contextmanager
def running_stack(redis_url):
    """The emulator and a started BenchStack on a free port (no worker yet), stopped on the way out."""
    port = free_port()
    with EmulatorProcess(config=emulator_config([f"http://127.0.0.1:{port}"])) as emulator:
        stack = BenchStack(emulator, port, redis_url).start()
        try:
            yield stack
        finally:
            stack.stop()


def descendants(pid):
    """The process and every process below it."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def cpu_seconds(pids):
    """User plus system CPU seconds of these processes (their own, not their children's)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def rss_mb(pid):
    """Resident memory of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def postgres_backends(database_url):
    """The server processes that serve the benchmark's database (they come and go)."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return [row[0] for row in rows]


def redis_server_pid():
    info = redis.Redis.from_url(REDIS_OTHER).info("server")
    return int(info["process_id"])


def load():
    return Path("/proc/loadavg").read_text().split()[:3]
