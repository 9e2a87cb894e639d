"""A flood of forged webhook notifications cannot spend the organization's Credly rate limit."""
import json

import pytest

from openedx_credly.models import CredlyErrorLog, WebhookEvent
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
    entries = CredlyErrorLog.objects.filter(kind=CredlyErrorLog.KIND_WEBHOOK)
    assert entries.count() == 1 and "forged" in entries.get().details


@pytest.mark.django_db
def test_below_the_limit_every_new_id_is_fetched(client, fake_org, settings, django_capture_on_commit_callbacks):
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = 50
    for number in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            notify(client, f"unknown-{number}")
    assert fake_org.state.stats()["by_route"].get("GET events_show", 0) == 10
    assert not CredlyErrorLog.objects.exists()
