"""A cap on the bytes per second a copy reads from the source and writes to the target, so that
a pre-stage during office hours leaves Exchange and the network to the people working there.

One token bucket per direction and rate, shared by every copy in the process: a worker process
that copies several mailboxes side by side stays under the cap as a whole. A request larger
than the bucket goes into debt and waits it off, so a batch never has to be split.
"""

from __future__ import annotations

import threading
import time

from migrator.text import say

BURST_SECONDS = 1.0  # unused allowance carried over at most

_shared: dict[tuple[str, int], Bandwidth] = {}
_shared_lock = threading.Lock()


class Bandwidth:
    """At most `bytes_per_second` on average, with bursts of up to a second's worth."""

    def __init__(self, bytes_per_second: int) -> None:
        if bytes_per_second <= 0:
            raise ValueError(say("the bandwidth cap must be a positive number of bytes per second"))
        self.rate = float(bytes_per_second)
        self.capacity = self.rate * BURST_SECONDS
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self, count: int, stop: threading.Event | None = None) -> None:
        """Wait until `count` more bytes fit under the cap; returns early once `stop` is set."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= count
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait > 0:
            if stop is None:
                time.sleep(wait)
            else:
                stop.wait(wait)


def shared(direction: str, bytes_per_second: int | None) -> Bandwidth | None:
    """The process's bucket for one direction ("source" or "target") at this rate; None when
    there is no cap."""
    if not bytes_per_second:
        return None
    with _shared_lock:
        key = (direction, bytes_per_second)
        if key not in _shared:
            _shared[key] = Bandwidth(bytes_per_second)
        return _shared[key]
