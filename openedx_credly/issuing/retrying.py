"""
When to try Credly again: what became of one attempt, and how long to wait before the next.

Sending (``delivery``) and revoking (``revoking``) both answer with a ``Delivery`` and
back off with ``retry_delay``.
"""
from dataclasses import dataclass

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings


@dataclass(frozen=True)
class Delivery:
    """What became of one attempt: ``retry_in`` seconds, or None when nothing is left to do now."""

    outcome: str
    retry_in: float = None


def retry_delay(attempts):
    """Seconds before try ``attempts + 1``: exponential backoff with full jitter, capped."""
    return get_exponential_backoff_interval(
        factor=2, retries=attempts, maximum=int(settings.CREDLY_RETRY_BACKOFF_MAX), full_jitter=True,
    ) + 1


def retry_after_cap():
    """The longest pause a 429's ``Retry-After`` may ask for, in seconds."""
    return float(settings.CREDLY_RETRY_AFTER_CAP_SECONDS)


def retry_after_capped(retry_after):
    """Whether Credly's ``Retry-After`` asked for more than the cap."""
    return retry_after is not None and float(retry_after) > retry_after_cap()


def rate_limit_wait(retry_after):
    """
    Seconds to wait after a 429: Credly's ``Retry-After`` (our default pause when it named
    none), at least a second and at most ``CREDLY_RETRY_AFTER_CAP_SECONDS``: a value of
    centuries would overflow a date, and a day would stop the organization for a day.
    """
    seconds = float(retry_after) if retry_after is not None else float(settings.CREDLY_RATE_LIMIT_PAUSE)
    return min(max(1.0, seconds), retry_after_cap())
