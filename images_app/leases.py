"""Who holds a push: each worker process keeps a heartbeat in the cache while it pushes, so a
sweep can tell a push whose process is gone (killed, crashed) from one still running."""

import os
import socket
import threading
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


@contextmanager
def heartbeat(name: str):
    """Beat now and every few seconds until the block ends (the push's HTTP call may take long)."""
    beat(name)
    stop = threading.Event()

    def keep_beating():
        while not stop.wait(HEARTBEAT_EVERY):
            try:
                beat(name)
            except Exception:  # noqa: BLE001, S112  (the next beat may get through)
                continue

    thread = threading.Thread(target=keep_beating, name="push-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
