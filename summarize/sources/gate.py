"""Politeness per host: at most N requests in flight, a pause between one and the next.

Each host has N slots. A request takes a free slot whose pause is over, and gives it back
when its answer has been read; the slot then rests for the delay (or the host's robots.txt
Crawl-delay when that is longer) before it serves the next request. A 429/503 answer with
Retry-After pauses every slot of the host. So a host sees at most N requests at once and at
most N / (latency + delay) a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class _Host:
    free: list[float]
    """When each free slot may serve again (monotonic seconds)."""
    delay: float
    paused_until: float = 0.0
    in_flight: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)


class HostGate:
    """Slots per host, shared by every thread of a fetch."""

    def __init__(self, per_host: int, delay: float) -> None:
        self.per_host = per_host
        self.delay = delay
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        self.peak = 0
        """The most requests ever in flight to one host (what tests and the benchmark check)."""

    def _host(self, host: str) -> _Host:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                state = self._hosts[host] = _Host(free=[0.0] * self.per_host, delay=self.delay)
            return state

    def set_delay(self, host: str, delay: float) -> None:
        """Rest at least DELAY seconds between requests to HOST (robots.txt Crawl-delay)."""
        state = self._host(host)
        with state.cond:
            state.delay = max(self.delay, delay)

    def pause(self, host: str, seconds: float) -> None:
        """Send nothing to HOST for SECONDS (Retry-After)."""
        state = self._host(host)
        with state.cond:
            state.paused_until = max(state.paused_until, time.monotonic() + seconds)
            state.cond.notify_all()

    @contextmanager
    def slot(self, host: str, stop: threading.Event | None = None) -> Iterator[None]:
        """Hold one of HOST's slots for one request; raises Stopped when STOP is set first."""
        state = self._host(host)
        with state.cond:
            while True:
                if stop is not None and stop.is_set():
                    raise Stopped
                now = time.monotonic()
                ready = max(min(state.free), state.paused_until) if state.free else None
                if ready is not None and ready <= now:
                    state.free.remove(min(state.free))
                    state.in_flight += 1
                    self.peak = max(self.peak, state.in_flight)
                    break
                state.cond.wait(timeout=0.5 if ready is None else min(0.5, ready - now))
        try:
            yield
        finally:
            with state.cond:
                state.in_flight -= 1
                state.free.append(time.monotonic() + state.delay)
                state.cond.notify()


class Stopped(Exception):
    """The fetch was asked to stop before this request could start."""
