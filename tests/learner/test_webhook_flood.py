"""A flood of forged webhook notifications cannot spend the organization's Credly rate limit."""
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from openedx_credly.models import CredlyErrorLog, WebhookEvent
from openedx_credly.syncing import webhooks
from tests.conftest import ORG_ID

URL = "/api/credly/v1/webhook/"


def notify(client, event_id):
    body = {"id": event_id, "organization_id": ORG_ID, "event_type": "badge.state.changed"}
    return client.post(URL, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_forged_ids_past_the_limit_are_not_fetched(client, fake_org, settings, django_capture_on_commit_callbacks):
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = 5
    fake = fake_org
    for number in range(12):
        with django_capture_on_commit_callbacks(execute=True):  # each processed before the next arrives
            assert notify(client, f"forged-{number}").status_code == 200
    fetches = fake.state.stats()["by_route"].get("GET events_show", 0)
    assert fetches == 5  # the first five were asked of Credly, denied, and the rest never fetched
    assert WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_UNCONFIRMED).count() == 5
    # The rest are kept, unfetched, for when the flood has passed.
    assert WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_DEFERRED, queued_at=None).count() == 7
    entries = CredlyErrorLog.objects.filter(kind=CredlyErrorLog.KIND_WEBHOOK)
    assert entries.count() == 1 and "forged" in entries.get().details


@pytest.mark.django_db
def test_queued_fetches_count_against_the_limit(client, fake_org, settings):
    """The workers are busy: nothing is processed yet, and still only the limit is enqueued."""
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = 5
    enqueued = []
    with mock.patch.object(webhooks, "schedule_processing", enqueued.append):
        for number in range(40):
            notify(client, f"forged-{number}")
    assert len(enqueued) == 5
    assert WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_RECEIVED).count() == 5
    assert WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_DEFERRED).count() == 35
    assert fake_org.state.stats()["by_route"].get("GET events_show", 0) == 0


@pytest.mark.django_db
def test_deferred_events_are_released_as_the_budget_allows(client, fake_org, settings,
                                                           django_capture_on_commit_callbacks):
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = 3
    with mock.patch.object(webhooks, "schedule_processing"):
        for number in range(10):
            notify(client, f"forged-{number}")
    assert webhooks.release_deferred() == 0  # three fetches are still in flight
    WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_RECEIVED).update(
        outcome=WebhookEvent.OUTCOME_UNCONFIRMED, processed_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.release_deferred() == 3  # the oldest three
    released = WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_UNCONFIRMED).order_by("pk")
    assert [event.event_id for event in released][-3:] == ["forged-3", "forged-4", "forged-5"]
    assert fake_org.state.stats()["by_route"].get("GET events_show", 0) == 3
    assert webhooks.release_deferred() == 0  # those three are this hour's unconfirmed now


@pytest.mark.django_db
def test_a_redelivered_deferred_event_only_counts_itself(client, fake_org, settings):
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = 0
    for _ in range(3):
        notify(client, "same-id")
    event = WebhookEvent.objects.get()
    assert (event.outcome, event.times_received) == (WebhookEvent.OUTCOME_DEFERRED, 3)


@pytest.mark.django_db
def test_past_the_deferred_limit_new_ids_are_dropped(client, fake_org, settings):
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = 0
    settings.CREDLY_WEBHOOK_DEFERRED_LIMIT = 4
    for number in range(10):
        assert notify(client, f"forged-{number}").status_code == 200  # the same answer, dropped or not
    assert WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_DEFERRED).count() == 4


def test_the_release_runs_periodically(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["openedx-credly-release-deferred-webhook-events"]
    assert schedule["task"] == "openedx_credly.tasks.release_deferred_webhook_events"


@pytest.mark.django_db
def test_below_the_limit_every_new_id_is_fetched(client, fake_org, settings, django_capture_on_commit_callbacks):
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = 50
    for number in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            notify(client, f"unknown-{number}")
    assert fake_org.state.stats()["by_route"].get("GET events_show", 0) == 10
    assert not CredlyErrorLog.objects.exists()
