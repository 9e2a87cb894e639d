"""
Concurrent webhook notifications cannot all see room under the flood limit.

Real threads, each with its own database connection, released together by a barrier,
each posting a different forged event id: exactly ``CREDLY_WEBHOOK_UNCONFIRMED_LIMIT``
fetches are enqueued, the rest deferred. Runs on MariaDB (and on a SQLite file in
``BEGIN IMMEDIATE`` mode) in child pytests, like tests/course_staff/test_concurrent_posts.py.
"""
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from unittest import mock

import django
import pytest
from django.db import connections
from django.test import Client

from openedx_credly import webhooks
from openedx_credly.models import CredlyOrganization, WebhookEvent
from tests.conftest import ORG_ID, require_service
from tests.course_staff.test_concurrent_posts import _mariadb_reachable, _shares_a_real_database

THREADS = 12
LIMIT = 4
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_concurrent_notifications_take_the_budget_once(settings):
    if not _shares_a_real_database():
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
    if _shares_a_real_database():
        pytest.skip("the threaded test runs directly on this database")
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEVHOST_DB")}
    if database == "mariadb":
        require_service(_mariadb_reachable(), "MariaDB is not running on 127.0.0.1:3306")
        env.update(DEVHOST_DB="mysql", DEVHOST_DB_TEST_NAME=f"test_credly_webhook_race_{os.getpid()}")
    else:
        if django.VERSION < (5, 1):
            pytest.skip("SQLite's BEGIN IMMEDIATE needs Django 5.1 or later")
        env["DEVHOST_SQLITE_TEST_PATH"] = str(tmp_path / "race.sqlite3")
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--create-db", "--ds", "tests.course_staff.race_settings",
         f"{Path(__file__).relative_to(ROOT)}::test_concurrent_notifications_take_the_budget_once"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
    assert "1 passed" in child.stdout
