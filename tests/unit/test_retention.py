"""Webhook events and error-log entries are pruned past their retention: by the periodic task and a command."""
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from openedx_credly import tasks
from openedx_credly.models import CredlyErrorLog, WebhookEvent
from openedx_credly.operators import retention


def _age(model, pk, field, days):
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(days=days)})


@pytest.fixture
def old_and_new(organization):
    """Events of 10 and 40 days, error-log entries of 10 and 100 days (and 2,500 old events for the batches)."""
    for number, days in enumerate((10, 40)):
        event = WebhookEvent.objects.create(organization=organization, event_id=f"e-{number}")
        _age(WebhookEvent, event.pk, "received_at", days)
    WebhookEvent.objects.bulk_create(
        WebhookEvent(organization=organization, event_id=f"bulk-{number}") for number in range(2500))
    WebhookEvent.objects.filter(event_id__startswith="bulk-").update(received_at=timezone.now() - timedelta(days=60))
    for number, days in enumerate((10, 100)):
        entry = CredlyErrorLog.objects.create(organization=organization, kind="webhook", error=f"entry {number}")
        _age(CredlyErrorLog, entry.pk, "created", days)
    return organization


def test_the_periodic_task_prunes_with_the_default_retention(old_and_new, settings):
    assert (settings.CREDLY_WEBHOOK_EVENT_RETENTION_DAYS, settings.CREDLY_ERROR_LOG_RETENTION_DAYS) == (30, 90)
    assert "openedx-credly-prune-records" in settings.CELERY_BEAT_SCHEDULE
    assert tasks.prune_records.apply().get() == {"webhook_events": 2501, "error_log": 1}
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["e-0"]
    assert list(CredlyErrorLog.objects.values_list("error", flat=True)) == ["entry 0"]


def test_the_command_takes_days_and_a_dry_run(old_and_new):
    out = io.StringIO()
    call_command("credly_prune", "--webhook-days", "5", "--error-log-days", "5", "--dry-run", stdout=out)
    assert "Would delete 2502 webhook event(s) and 2 error-log" in out.getvalue()
    assert WebhookEvent.objects.count() == 2502
    call_command("credly_prune", "--webhook-days", "5", "--error-log-days", "5", stdout=out)
    assert not WebhookEvent.objects.exists() and not CredlyErrorLog.objects.exists()


def test_no_retention_keeps_everything(old_and_new, settings):
    settings.CREDLY_WEBHOOK_EVENT_RETENTION_DAYS = None
    settings.CREDLY_ERROR_LOG_RETENTION_DAYS = 0
    assert retention.prune() == {"webhook_events": 0, "error_log": 0}
    assert WebhookEvent.objects.count() == 2502
