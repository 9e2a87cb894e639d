"""
Bounded growth: webhook events and error-log entries are deleted once past their retention.

``prune`` is run daily by the periodic task ``prune_records`` and by ``manage.py
credly_prune``. It deletes in batches of ``BATCH`` rows, each its own short statement,
so a site with millions of old rows never holds a long lock.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from openedx_credly.models import CredlyErrorLog, WebhookEvent

log = logging.getLogger(__name__)

BATCH = 1000


def _days(name):
    value = getattr(settings, name, None)
    return None if value in (None, "") else int(value)


def cutoffs(now=None, webhook_days=None, error_log_days=None):
    """``{model: oldest time kept}``; a retention of None (or below 1 day) keeps that model's rows forever."""
    now = now or timezone.now()
    webhook_days = _days("CREDLY_WEBHOOK_EVENT_RETENTION_DAYS") if webhook_days is None else webhook_days
    error_log_days = _days("CREDLY_ERROR_LOG_RETENTION_DAYS") if error_log_days is None else error_log_days
    result = {}
    if webhook_days and webhook_days > 0:
        result[WebhookEvent] = ("received_at", now - timedelta(days=webhook_days))
    if error_log_days and error_log_days > 0:
        result[CredlyErrorLog] = ("created", now - timedelta(days=error_log_days))
    return result


def prune(now=None, webhook_days=None, error_log_days=None, dry_run=False):
    """
    Delete the rows past their retention; returns ``{"webhook_events": n, "error_log": n}``.

    With ``dry_run``, only counts them.
    """
    names = {WebhookEvent: "webhook_events", CredlyErrorLog: "error_log"}
    deleted = dict.fromkeys(names.values(), 0)
    for model, (field, cutoff) in cutoffs(now, webhook_days, error_log_days).items():
        old = model.objects.filter(**{f"{field}__lt": cutoff})
        if dry_run:
            deleted[names[model]] = old.count()
            continue
        while True:
            pks = list(old.order_by().values_list("pk", flat=True)[:BATCH])
            if not pks:
                break
            count, _by_model = model.objects.filter(pk__in=pks).delete()
            deleted[names[model]] += count
    if any(deleted.values()) and not dry_run:
        log.info("Pruned old Credly records: %s", deleted)
    return deleted
