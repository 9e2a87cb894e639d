"""
Concurrent POSTs of the same mapping end with one row.

Real threads, each with its own database connection, released together by a barrier.
The test database must be one that several connections share for real: MariaDB
(``DEVHOST_DB=mysql``) or a SQLite file in ``BEGIN IMMEDIATE`` mode (race_settings.py);
otherwise the same test runs in child pytests on both.
"""
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import django
import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization
from tests.conftest import COURSE, ORG_ID, TEMPLATE_ID, require_service
from tests.course_staff.conftest import give_role, make_user

THREADS = 8
ROOT = Path(__file__).resolve().parents[2]


def _shares_a_real_database():
    """MariaDB, or a SQLite file whose transactions queue for the write lock (see race_settings.py)."""
    if connection.vendor == "mysql":
        return True
    name = str(connection.settings_dict["NAME"])
    immediate = connection.settings_dict.get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE"
    return connection.vendor == "sqlite" and immediate and "memory" not in name and name != ":memory:"


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_make_one_row():
    if not _shares_a_real_database():
        pytest.skip("needs a database that threads share; test_concurrent_posts_in_a_child_run runs it")
    organization = CredlyOrganization.objects.create(name="Academy", organization_id=ORG_ID, api_token="t")
    BadgeTemplate.objects.create(organization=organization, template_id=TEMPLATE_ID, name="Finisher")
    staff = give_role(make_user("racer"), COURSE, "staff")
    barrier = threading.Barrier(THREADS)
    statuses, errors = [], []

    def post():
        client = APIClient()
        client.force_authenticate(staff)
        try:
            barrier.wait(timeout=30)
            response = client.post(f"/api/credly/v1/courses/{COURSE}/badge-templates/",
                                   data=json.dumps({"template_id": TEMPLATE_ID, "trigger": "passing"}),
                                   content_type="application/json")
            statuses.append(response.status_code)
        except Exception as error:  # pylint: disable=broad-except
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert sorted(statuses) == [200] * (THREADS - 1) + [201]
    assert CourseBadgeTemplate.objects.count() == 1
    assert CourseBadgeTemplate.objects.get().trigger == "passing"


def _mariadb_reachable():
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("database", ["sqlite-file", "mariadb"])
def test_concurrent_posts_in_a_child_run(tmp_path, database):
    """Run the threaded test above in a child pytest on a database that threads really share."""
    if _shares_a_real_database():
        pytest.skip("the threaded test runs directly on this database")
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEVHOST_DB")}
    if database == "mariadb":
        require_service(_mariadb_reachable(), "MariaDB is not running on 127.0.0.1:3306")
        env.update(DEVHOST_DB="mysql", DEVHOST_DB_TEST_NAME="test_credly_course_staff_race")
    else:
        if django.VERSION < (5, 1):
            pytest.skip("SQLite's BEGIN IMMEDIATE needs Django 5.1 or later")
        env["DEVHOST_SQLITE_TEST_PATH"] = str(tmp_path / "race.sqlite3")
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--create-db", "--ds", "tests.course_staff.race_settings",
         f"{Path(__file__).relative_to(ROOT)}::test_concurrent_posts_make_one_row"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
    assert "1 passed" in child.stdout


@pytest.mark.django_db(transaction=True)
def test_a_lost_insert_race_is_retried_as_an_update_in_a_fresh_transaction():
    """Outside any transaction, the loser starts afresh and then finds the winner's row."""
    from unittest import mock  # pylint: disable=import-outside-toplevel

    from opaque_keys.edx.keys import CourseKey  # pylint: disable=import-outside-toplevel

    from openedx_credly import course_settings  # pylint: disable=import-outside-toplevel

    organization = CredlyOrganization.objects.create(name="Academy", organization_id=ORG_ID, api_token="t")
    template = BadgeTemplate.objects.create(organization=organization, template_id=TEMPLATE_ID, name="Finisher")
    course_key = CourseKey.from_string(COURSE)
    real_lookup = course_settings._locked_mapping  # pylint: disable=protected-access
    calls = []

    # The winner's row, committed; our first look-up ran just before that commit and saw nothing.
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template, trigger="certificate")

    def lookup(*args):
        calls.append(connection.in_atomic_block)
        return None if len(calls) == 1 else real_lookup(*args)

    with mock.patch.object(course_settings, "_locked_mapping", side_effect=lookup):
        change = course_settings.set_mapping(course_key, TEMPLATE_ID, trigger="passing", source="api")

    assert len(calls) == 2
    assert (change.created, change.changed) == (False, True)
    assert CourseBadgeTemplate.objects.get().trigger == "passing"
