"""
When to try Credly again: what became of one attempt, and how long to wait before the next.

Sending (``issuing``) and revoking (``revoking``) both answer with a ``Delivery`` and
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
