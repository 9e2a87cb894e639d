"""
In-memory data and behaviour of the fake Credly server.

Everything the HTTP layer (``app.py``) and the control endpoints do ends up in a
method of :class:`FakeCredlyState`, so in-process tests can drive the fake
directly and out-of-process tests can drive it over ``/_fake/``. The state is one
mixin per part of Credly it simulates:

* ``organizations``: organizations, authorization tokens, OAuth, authentication;
* ``templates``: badge templates, and the demo's seed;
* ``badges``: issue, revoke, accept or reject, delete, lists; earners;
* ``faults``: injected faults, the rate limit and latency;
* ``webhooks``: events and their webhook notifications;

on ``base``, what they share (the lock, the clock, the counters). This module composes
them and adds the lifecycle (reset, close) and what tests read back (stats, request log).

Lookups go through dict indexes so that each request costs O(1) (or O(page)
for lists); benchmarks push hundreds of requests a second through this.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, deque

from .badges import BADGE_FILTERS, BadgesMixin
from .base import MAX_PER_PAGE, FakeCredlyError
from .faults import Fault, FaultsMixin
from .organizations import OrganizationsMixin
from .templates import TEMPLATE_FILTERS, TemplatesMixin
from .webhooks import WebhooksMixin

__all__ = ["BADGE_FILTERS", "MAX_PER_PAGE", "TEMPLATE_FILTERS", "Fault", "FakeCredlyError", "FakeCredlyState"]


class FakeCredlyState(OrganizationsMixin, TemplatesMixin, BadgesMixin, FaultsMixin, WebhooksMixin):
    """All organizations, templates, badges, events and test knobs of one fake Credly."""

    def __init__(self, base_url: str = "http://127.0.0.1", seed: int = 0, webhook_timeout: float = 2.0):
        super().__init__(base_url)
        self.seed = seed
        self.webhook_timeout = webhook_timeout
        self._init_webhooks()
        self.reset()

    def reset(self) -> None:
        """Forget everything and wake any request sleeping in a fault or latency."""
        with self._lock:
            self._forget_events()
            self._wake.set()
            self._wake = threading.Event()
            self._forget_organizations()
            self._forget_templates()
            self._forget_badges()
            self._forget_faults()
            self._clock_offset = dt.timedelta()
            self._stats = Counter()
            self._by_route: Counter = Counter()
            self._by_status: Counter = Counter()
            self._requests: deque = deque(maxlen=2000)

    def close(self) -> None:
        """Stop the webhook worker and wake sleepers (called by the server on stop)."""
        self._wake.set()
        self._stop_webhooks()

    def record_request(self, route: str, status: int, entry: dict | None) -> None:
        """Count a request by route and status, and keep its log entry (the last 2000)."""
        with self._lock:
            self._stats["requests_total"] += 1
            self._by_route[route] += 1
            self._by_status[str(status)] += 1
            if entry is not None:
                self._requests.append(entry)

    def stats(self) -> dict:
        """Counters of requests, badges, refusals, faults and webhook deliveries, for tests and benchmarks."""
        with self._lock:
            stats = {key: self._stats[key] for key in (
                "requests_total", "badges_issued", "duplicates_refused", "rate_limited", "faults_injected",
                "oauth_tokens_issued", "webhook_deliveries", "webhook_deliveries_ok", "webhook_deliveries_failed")}
            stats.update(by_route=dict(self._by_route), by_status=dict(self._by_status),
                         responses_401=self._by_status["401"], responses_429=self._by_status["429"],
                         badges_stored=len(self._badges), events=len(self._events))
            return stats

    def recent_requests(self, limit: int = 50) -> list[dict]:
        with self._lock:
            return list(self._requests)[-limit:] if limit > 0 else []
