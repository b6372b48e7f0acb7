"""The emulator's own rate limit: a sliding one-second window shared by every client."""

import math
import threading
import time
from collections import deque

# Wall-clock seconds that never jump: the window and the request log read the same clock.
_EPOCH = time.time() - time.monotonic()
WINDOW_SECONDS = 1.0


def now():
    """Return the current time in seconds since the epoch, steady while the process runs."""
    return _EPOCH + time.monotonic()


def rate_limit_problem(value):
    """Return why value cannot be a rate_limit_per_second (None lifts the limit), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "rate_limit_per_second must be a number of requests or null."
    if not math.isfinite(value) or value < 0 or value != int(value):
        return "rate_limit_per_second must be a whole number, 0 or more."
    return None


class SlidingWindow:
    """The requests admitted in the last second, behind a lock of its own."""

    def __init__(self):
        self.lock = threading.Lock()
        self.admitted = deque()

    def admit(self, limit):
        """Admit one request unless `limit` were already admitted in the last second.

        Return (admitted, retry_after, at): retry_after in whole seconds (at least 1) when
        refused, and the time the decision was taken. A refused request is not counted.
        """
        with self.lock:
            at = now()
            while self.admitted and self.admitted[0] <= at - WINDOW_SECONDS:
                self.admitted.popleft()
            if len(self.admitted) >= limit:
                oldest = self.admitted[0] if self.admitted else at
                return False, max(1, math.ceil(oldest + WINDOW_SECONDS - at)), at
            self.admitted.append(at)
            return True, None, at

    def clear(self):
        """Forget every admitted request."""
        with self.lock:
            self.admitted.clear()
