"""
What every part of the fake Credly shares: one lock, one clock, the counters, and
Credly's way of refusing a request and of writing a timestamp.

Each part (organizations, templates, badges, faults, webhooks) is a mixin on
:class:`StateBase`; the annotations there name the data one part reads from another.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter

ISSUED_AT_FORMAT = "%Y-%m-%d %H:%M:%S %z"
MAX_PER_PAGE = 50  # lists (templates, badges) answer at most this many a page


class FakeCredlyError(Exception):
    """A refusal with an HTTP status; the app renders it, Python callers can catch it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def parse_datetime(value: str) -> dt.datetime:
    """Read a filter date: the issue format, ISO 8601 or a bare date; naive means UTC."""
    try:
        moment = dt.datetime.strptime(value, ISSUED_AT_FORMAT)
    except ValueError:
        moment = dt.datetime.fromisoformat(value)  # ValueError propagates to the caller
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def iso(moment: dt.datetime | None) -> str | None:
    """Credly's timestamps: ISO 8601 in UTC with milliseconds, e.g. ``2026-11-25T10:00:00.000Z``."""
    if not moment:
        return None
    moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def slug(text: str) -> str:
    """A name as it stands in a Credly URL."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "badge"


def split_csv(value: str) -> set[str]:
    """The values of a comma-separated filter, e.g. ``state::pending,accepted``."""
    return {part.strip() for part in value.split(",") if part.strip()}


class StateBase:
    """
    The lock every part takes and the fake's clock; the counters are reset by the composed state.

    One lock guards everything: requests come from many server threads at once, and the
    duplicate check plus the insert of a badge must be atomic, exactly as on Credly.
    """

    _stats: Counter
    # Read by more than one part: organizations, templates, badges and events by id.
    _orgs: dict[str, dict]
    _templates: dict[str, dict]
    _badges: dict[str, dict]
    _events: dict[str, dict]

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._clock_offset = dt.timedelta()

    def now(self) -> dt.datetime:
        """The fake's clock: real UTC time plus whatever ``advance_clock`` added."""
        return dt.datetime.now(dt.timezone.utc) + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock forward so tokens expire without the test sleeping."""
        with self._lock:
            self._clock_offset += dt.timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        """Sleep, but return early on reset/stop so a hung fault never outlives its test."""
        self._wake.wait(seconds)
