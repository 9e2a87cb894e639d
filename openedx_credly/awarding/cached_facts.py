"""
Small facts read on every platform event (which courses are in a path, which milestone
kinds are active), kept in Django's cache. A cache outage costs a query, never an event.
"""
import logging

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def read(key, compute, *, timeout_setting, default_timeout, what):
    """The fact cached under ``key``; computed and cached (``timeout_setting`` seconds) when missing."""
    try:
        value = cache.get(key)
    except Exception:  # pylint: disable=broad-except
        log.warning("openedx-credly could not read the %s from the cache.", what, exc_info=True)
        value = None
    if value is None:
        value = compute()
        try:
            cache.set(key, value, getattr(settings, timeout_setting, default_timeout))
        except Exception:  # pylint: disable=broad-except
            log.warning("openedx-credly could not cache the %s.", what, exc_info=True)
    return value


def forget(key, *, what):
    """Drop the cached fact; the next read computes it again."""
    try:
        cache.delete(key)
    except Exception:  # pylint: disable=broad-except
        log.warning("openedx-credly could not clear the %s.", what, exc_info=True)
