"""
The bad days a test can order: injected faults, a per-organization rate limit and latency.

A fault stands for Credly (or something in between) failing one request: an error status,
a hang, a dropped connection, an answer without the badge's id, a redirect. The app asks
for them before it does the request's work; only the ``after_commit_*`` kinds let the work
happen and spoil the answer. The kinds are listed in the package docstring (``fake_credly``).
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import asdict, dataclass, field, fields

from .base import FakeCredlyError, StateBase


@dataclass
class Fault:
    """One injected failure; the kinds are listed in the package docstring (``fake_credly``)."""

    status: int | None = None
    count: int | None = None
    probability: float | None = None
    retry_after: int | None = None
    timeout: float | None = None
    after_commit_timeout: float | None = None
    # Do the work, then close the connection without answering (the client sees a dropped connection).
    after_commit_drop: bool = False
    # Do the work, then answer 201 with the badge's id left out.
    after_commit_without_id: bool = False
    # Answer a redirect (``status`` 302 unless given) to this URL, doing nothing.
    redirect_to: str | None = None
    path_contains: str | None = None
    method: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @classmethod
    def from_dict(cls, spec: dict) -> "Fault":
        """A fault from its control-endpoint spec, with defaults filled in; 400 for a spec that does nothing."""
        unknown = set(spec) - {f.name for f in fields(cls) if f.name != "id"}
        if unknown:
            raise FakeCredlyError(400, f"Unknown fault keys: {sorted(unknown)}")
        fault = cls(**spec)
        effects = (fault.status is not None, fault.timeout is not None, fault.after_commit_timeout is not None,
                   fault.after_commit_drop, fault.after_commit_without_id, fault.redirect_to)
        if not any(effects):
            raise FakeCredlyError(400, "A fault needs 'status', 'timeout', 'after_commit_timeout', "
                                       "'after_commit_drop', 'after_commit_without_id' or 'redirect_to'")
        if fault.redirect_to and fault.status is None:
            fault.status = 302
        if fault.timeout is not None and fault.status is None:
            fault.status = 504  # what a gateway says once it gave up waiting
        if fault.count is None and fault.probability is None:
            fault.count = 1
        if fault.method:
            fault.method = fault.method.upper()
        return fault


class FaultsMixin(StateBase):
    """The queued faults, the rate limit's token buckets and the latency every API request waits."""

    seed: int
    latency: float

    def _forget_faults(self) -> None:
        """No faults, no rate limit, no latency; the fault dice start again from the seed."""
        self._faults: list[Fault] = []
        self._rng = random.Random(self.seed)
        self._rate_per_second: float | None = None
        self._buckets: dict[str, tuple[float, float]] = {}
        self.latency = 0.0

    def add_faults(self, *specs: dict) -> list[dict]:
        """Queue faults; each matching API request consumes one (see :class:`Fault`)."""
        faults = [Fault.from_dict(dict(spec)) for spec in specs]
        with self._lock:
            self._faults.extend(faults)
            return [asdict(f) for f in faults]

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def faults(self) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def set_rate_limit(self, per_second: float | None) -> None:
        """Limit API calls per organization (token bucket of one second's worth); None lifts it."""
        with self._lock:
            self._rate_per_second = per_second
            self._buckets.clear()

    def set_latency(self, seconds: float) -> None:
        with self._lock:
            self.latency = max(0.0, float(seconds))

    def take_rate_limit_slot(self, key: str) -> bool:
        """Spend one token of ``key``'s bucket; False means answer 429."""
        with self._lock:
            rate = self._rate_per_second
            if not rate:
                return True
            now = time.monotonic()
            tokens, last = self._buckets.get(key, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if not allowed:
                self._stats["rate_limited"] += 1
            return allowed

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Return (and consume) the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.path_contains and fault.path_contains not in path:
                    continue
                if fault.method and fault.method != method:
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                self._stats["faults_injected"] += 1
                return Fault(**asdict(fault))
            return None

    def drop_id(self, data: dict) -> dict:
        """A badge answer with its id left out (the ``after_commit_without_id`` fault)."""
        return {key: value for key, value in data.items() if key != "id"}
