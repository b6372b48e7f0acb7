"""Who holds a push: each worker process keeps a heartbeat in the cache while it pushes, so a
sweep can tell a push whose process is gone (killed, crashed) from one still running."""

import os
import socket
import threading
import time
from contextlib import contextmanager

from django.core.cache import cache

# A holder silent this long is gone; it beats every HEARTBEAT_EVERY seconds while pushing.
HEARTBEAT_TTL = 15
HEARTBEAT_EVERY = 5


def holder() -> str:
    """This process, as a claim names it: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _key(name):
    return f"push-holder:{name}"


def beat(name: str) -> None:
    cache.set(_key(name), 1, HEARTBEAT_TTL)


def is_alive(name: str) -> bool | None:
    """Whether the holder beat recently; None when the cache cannot be asked."""
    try:
        return cache.get(_key(name)) is not None
    except Exception:  # noqa: BLE001  (an unanswered cache decides nothing)
        return None


class _Beats:
    """This process's pushes in progress, by holder, and the one thread that beats for them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = {}  # holder: pushes in progress
        self.last = {}  # holder: time.monotonic() of its last beat
        self.thread_pid = None

    def enter(self, name):
        with self.lock:
            self.active[name] = self.active.get(name, 0) + 1
            due = time.monotonic() - self.last.get(name, -HEARTBEAT_TTL) >= HEARTBEAT_EVERY
            if self.thread_pid != os.getpid():  # none yet, or the one of a parent before a fork
                self.thread_pid = os.getpid()
                threading.Thread(target=self.keep_beating, name="push-heartbeat", daemon=True).start()
        if due:
            self.beat(name)

    def leave(self, name):
        with self.lock:
            self.active[name] -= 1

    def beat(self, name):
        beat(name)
        self.last[name] = time.monotonic()

    def keep_beating(self):
        while True:
            time.sleep(HEARTBEAT_EVERY)
            with self.lock:
                busy = [name for name, count in self.active.items() if count]
            for name in busy:
                try:
                    self.beat(name)
                except Exception:  # noqa: BLE001, S112  (the next beat may get through)
                    continue


_beats = _Beats()


@contextmanager
def heartbeat(name: str):
    """Beat (unless this process beat a moment ago) and keep beating every few seconds while
    any of the process's pushes runs: one thread per process, not one per push."""
    _beats.enter(name)
    try:
        yield
    finally:
        _beats.leave(name)
