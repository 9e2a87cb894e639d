"""
Concurrent webhook notifications cannot all see room under the flood limit.

Real threads, each with its own database connection, released together by a barrier,
each posting a different forged event id: exactly ``CREDLY_WEBHOOK_UNCONFIRMED_LIMIT``
fetches are enqueued, the rest deferred. Runs on MariaDB (and on a SQLite file in
``BEGIN IMMEDIATE`` mode) in child pytests, like tests/course_staff/test_concurrent_posts.py.
"""
import json
import os
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.db import connections
from django.test import Client

from openedx_credly.models import CredlyOrganization, WebhookEvent
from openedx_credly.syncing import webhooks
from tests.conftest import ORG_ID
from tests.race import ROOT, run_in_child, shares_a_real_database

THREADS = 12
LIMIT = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_notifications_take_the_budget_once(settings):
    if not shares_a_real_database():
        pytest.skip("needs a database that threads share; test_concurrent_notifications_in_a_child_run runs it")
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = LIMIT
    CredlyOrganization.objects.create(name="Academy", organization_id=ORG_ID, api_token="t")
    barrier = threading.Barrier(THREADS)
    statuses, errors, enqueued = [], [], []

    def post(number):
        try:
            barrier.wait(timeout=30)
            body = {"id": f"forged-{number}", "organization_id": ORG_ID, "event_type": "badge.created"}
            response = Client().post("/api/credly/v1/webhook/", data=json.dumps(body),
                                     content_type="application/json")
            statuses.append(response.status_code)
        except Exception as error:  # pylint: disable=broad-except
            errors.append(repr(error))
        finally:
            connections.close_all()

    with mock.patch.object(webhooks, "schedule_processing", enqueued.append):
        threads = [threading.Thread(target=post, args=(number,)) for number in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert not errors, errors
    assert statuses == [200] * THREADS
    assert len(enqueued) == LIMIT
    assert WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_RECEIVED).count() == LIMIT
    assert WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_DEFERRED).count() == THREADS - LIMIT


@pytest.mark.parametrize("database", ["sqlite-file", "mariadb"])
def test_concurrent_notifications_in_a_child_run(tmp_path, database):
    """Run the threaded test above in a child pytest on a database that threads really share."""
    run_in_child(f"{Path(__file__).relative_to(ROOT)}::test_concurrent_notifications_take_the_budget_once", database,
                 tmp_path, mariadb_test_name=f"test_credly_webhook_race_{os.getpid()}")
