"""AIMD: fewer requests in flight while the endpoint rate-limits, more again when it stops.

`AIMD` is the `Limiter` a batch shares between its articles (`summarize.draft.sender`).
Each request holds one of `limit` slots. A 429 halves the limit (multiplicative decrease)
once per "generation", and so does a timeout (a server that queues requests, e.g. a local
llama.cpp with few slots, answers late rather than with a 429): 429s from requests sent
before the last decrease were sent under the old limit and say nothing new, so a burst of
them halves once, not N times. After
`limit` successes in a row the limit grows by one (additive increase), up to the ceiling.

`AIMDState` is that arithmetic alone, with no waiting: the thread engine wraps it in a
`threading.Condition` (`AIMD`), the Ray engine in an asyncio actor that the whole cluster
shares (`summarize.batch.ray_engine.gate`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Slot:
    """One request's place; the sender sets how it went."""

    generation: int
    rate_limited: bool = False
    succeeded: bool = False
    timed_out: bool = False


class AIMDState:
    """How many requests may be in flight, and what each finished request teaches."""

    def __init__(self, ceiling: int, *, floor: int = 1) -> None:
        self.ceiling = max(1, ceiling)
        self.floor = max(1, min(floor, self.ceiling))
        self.limit = self.ceiling
        self.in_flight = 0
        self.decreases = 0
        self.rate_limited = 0
        self.timed_out = 0
        self._generation = 0
        self._successes = 0

    @property
    def full(self) -> bool:
        """Whether a new request must wait."""
        return self.in_flight >= self.limit

    def enter(self) -> int:
        """Take a place (the caller checked `full`); the generation to hand back on leaving."""
        self.in_flight += 1
        return self._generation

    def leave(self, generation: int, *, rate_limited: bool, succeeded: bool, timed_out: bool = False) -> None:
        """Give a place back and adapt the limit to how its request went."""
        self.in_flight -= 1
        if timed_out:
            self.timed_out += 1
            self._congested(generation, "timed out")
        elif rate_limited:
            self.rate_limited += 1
            self._congested(generation, "rate limited")
        elif succeeded:
            self._successes += 1
            if self._successes >= self.limit and self.limit < self.ceiling:
                self._successes = 0
                self.limit += 1
                log.info("no rate limit lately: up to %d requests in flight", self.limit)

    def _congested(self, generation: int, why: str) -> None:
        self._successes = 0
        if generation == self._generation:
            self._generation += 1
            self.decreases += 1
            self.limit = max(self.floor, self.limit // 2)
            log.info("%s: at most %d requests in flight now", why, self.limit)


class AIMD(AIMDState):
    """Limits in-flight requests of one process's threads to an adaptive number (AIMD on 429)."""

    def __init__(self, ceiling: int, *, floor: int = 1) -> None:
        super().__init__(ceiling, floor=floor)
        self._cond = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[Slot]:
        """Wait for a free place, hold it for one request, then adapt the limit."""
        slot = Slot(self._acquire())
        try:
            yield slot
        finally:
            self._release(slot)

    def _acquire(self) -> int:
        with self._cond:
            while self.full:
                self._cond.wait()
            return self.enter()

    def _release(self, slot: Slot) -> None:
        with self._cond:
            self.leave(
                slot.generation,
                rate_limited=slot.rate_limited,
                succeeded=slot.succeeded,
                timed_out=slot.timed_out,
            )
            self._cond.notify_all()
