"""One rate limit for the whole cluster: the AIMD state held by one Ray actor, the gate.

Every request of every worker takes a lease from the gate before it is sent and hands it
back afterwards with how it went, so `--concurrency` bounds the requests in flight across
the cluster and a 429 seen by one worker halves the limit for all of them (the same
`AIMDState` arithmetic as the thread engine's limiter).

The gate is an asyncio actor: a waiting worker costs a suspended coroutine, not a thread,
and a lease is two small actor calls (taking one is waited for, giving it back is not).
A lease names its holder, the actor that took it: a worker process that dies holds its
leases forever, so a restarted actor gives back what its previous life held (`forget`),
and a lease not handed back within the request timeout plus a margin expires.

The gate also carries the run's two flags, `stop` (Ctrl-C: start no new article) and
`halt` (the token budget is spent), which the workers read through `GateFlags`. Ray restarts a
dead gate empty; the driver, which set the flags, sets them again on its next look (`keep`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from summarize.batch.throttle import AIMDState, Slot

log = logging.getLogger(__name__)

# How long past the request timeout a lease may stay out before it is taken back.
LEASE_MARGIN = 30.0
# How often a worker asks the gate whether the run is stopping.
FLAG_EVERY = 0.5


class Gate:
    """The cluster's AIMD limiter and flags; runs as an async Ray actor (`start_gate`)."""

    def __init__(self, ceiling: int, lease_seconds: float) -> None:
        self.state = AIMDState(ceiling)
        self.lease_seconds = lease_seconds
        self.leases: dict[int, tuple[str, int, float]] = {}
        """lease id -> (holder, generation, deadline)."""
        self.flags = {"stop": False, "halt": False}
        self.expired = 0
        self._last_id = 0
        self._cond: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        # Made on first use, inside the actor's event loop.
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def acquire(self, holder: str) -> tuple[int, int]:
        """Wait for a place under the limit; (lease id, generation)."""
        cond = self._condition()
        async with cond:
            while self.state.full:
                self._expire()
                if not self.state.full:
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(cond.wait(), timeout=1.0)
            generation = self.state.enter()
            self._last_id += 1
            self.leases[self._last_id] = (holder, generation, time.monotonic() + self.lease_seconds)
            return self._last_id, generation

    async def release(self, lease: int, rate_limited: bool, succeeded: bool) -> None:
        """Give LEASE back and adapt the limit; a lease already taken back is ignored."""
        cond = self._condition()
        async with cond:
            entry = self.leases.pop(lease, None)
            if entry is not None:
                self.state.leave(entry[1], rate_limited=rate_limited, succeeded=succeeded)
                cond.notify_all()

    async def forget(self, holder: str) -> int:
        """Take back every lease of HOLDER (restarted: its requests died with it); how many."""
        cond = self._condition()
        async with cond:
            gone = [k for k, (h, _, _) in self.leases.items() if h == holder]
            for lease in gone:
                _, generation, _ = self.leases.pop(lease)
                self.state.leave(generation, rate_limited=False, succeeded=False)
            if gone:
                log.warning("worker %s restarted: %d request place(s) given back", holder, len(gone))
                cond.notify_all()
            return len(gone)

    def _expire(self) -> None:
        now = time.monotonic()
        for lease, (holder, generation, deadline) in list(self.leases.items()):
            if deadline < now:
                del self.leases[lease]
                self.expired += 1
                self.state.leave(generation, rate_limited=False, succeeded=False)
                log.warning("a request place held by %s expired: its worker is gone", holder)

    async def raise_flag(self, name: str) -> None:
        """Set the flag NAME (`stop` or `halt`) for every worker."""
        self.flags[name] = True

    async def status(self) -> dict[str, Any]:
        """Flags and counters, for the workers and the run summary."""
        s = self.state
        return {
            **self.flags,
            "in_flight": s.in_flight,
            "limit": s.limit,
            "rate_limited": s.rate_limited,
            "decreases": s.decreases,
            "expired": self.expired,
        }


def start_gate(ceiling: int, request_timeout: float, holders: int) -> Any:
    """The gate actor of one run, on the driver's node, restarted (empty) if it dies."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=True)
    actor = ray.remote(Gate).options(
        num_cpus=0,
        max_concurrency=max(1000, holders * 2),  # one suspended call per waiting worker thread
        max_restarts=-1,
        max_task_retries=-1,
        scheduling_strategy=here,
    )
    return actor.remote(ceiling, request_timeout + LEASE_MARGIN)


class RemoteLimiter:
    """A `summarize.draft.sender.Limiter` whose places come from the cluster's gate."""

    def __init__(self, gate: Any, holder: str) -> None:
        self.gate = gate
        self.holder = holder

    @contextmanager
    def slot(self) -> Iterator[Slot]:
        """Wait for a place at the gate; hold it for one request; say how it went."""
        import ray

        lease, generation = ray.get(self.gate.acquire.remote(self.holder))
        slot = Slot(generation)
        try:
            yield slot
        finally:
            # Not waited for: the answer changes nothing here, and the next request of any
            # worker sees the place free a moment later.
            self.gate.release.remote(lease, slot.rate_limited, slot.succeeded)


class GateFlags:
    """The gate's flags as one actor's threads see them: asked at most every FLAG_EVERY
    seconds, and once set, set for good."""

    def __init__(self, gate: Any, every: float = FLAG_EVERY) -> None:
        self.gate = gate
        self.every = every
        self._seen = {"stop": False, "halt": False}
        self._raised: set[str] = set()
        """The flags this process set (the driver): given again to a gate that restarted empty."""
        self._asked = float("-inf")
        self._lock = threading.Lock()

    def is_set(self, name: str) -> bool:
        """Whether the flag NAME is set."""
        if self._seen[name]:
            return True
        with self._lock:
            if time.monotonic() - self._asked >= self.every:
                self.status()
        return self._seen[name]

    def keep(self) -> None:
        """Ask the gate at most every EVERY seconds, so that a gate restarted since (Ray gives it
        back empty) gets the flags this process set again; called by the driver's loop."""
        if self._raised and time.monotonic() - self._asked >= self.every:
            self.status()

    def status(self) -> dict[str, Any]:
        """The gate's status; a flag this process set and the gate forgot is set again."""
        import ray

        status: dict[str, Any] = ray.get(self.gate.status.remote())
        self._asked = time.monotonic()
        for flag in sorted(self._raised):
            if not status[flag]:
                log.warning("the gate restarted: its %s flag is set again", flag)
                self.gate.raise_flag.remote(flag)
                status[flag] = True
        for flag in self._seen:
            self._seen[flag] = self._seen[flag] or bool(status[flag])
        return status

    def view(self, name: str) -> GateFlag:
        """The flag NAME as a `Worker` reads it."""
        return GateFlag(self, name)


class GateFlag:
    """One flag of the gate, read like a threading.Event (and set from the driver)."""

    def __init__(self, flags: GateFlags, name: str) -> None:
        self.flags = flags
        self.name = name

    def is_set(self) -> bool:
        """Whether the flag is set."""
        return self.flags.is_set(self.name)

    def set(self) -> None:
        """Set the flag for every worker of the cluster."""
        import ray

        ray.get(self.flags.gate.raise_flag.remote(self.name))
        self.flags._seen[self.name] = True
        self.flags._raised.add(self.name)
