"""
Concurrent POSTs of the same mapping end with one row.

Real threads, each with its own database connection, released together by a barrier.
The test database must be one that several connections share for real: MariaDB
(``DEVHOST_DB=mysql``) or a SQLite file in ``BEGIN IMMEDIATE`` mode (race_settings.py);
otherwise the same test runs in child pytests on both.
"""
import json
import threading
from pathlib import Path

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization
from tests.conftest import COURSE, ORG_ID, TEMPLATE_ID
from tests.course_staff.conftest import give_role, make_user
from tests.race import ROOT, run_in_child, shares_a_real_database

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_make_one_row():
    if not shares_a_real_database():
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


@pytest.mark.parametrize("database", ["sqlite-file", "mariadb"])
def test_concurrent_posts_in_a_child_run(tmp_path, database):
    """Run the threaded test above in a child pytest on a database that threads really share."""
    run_in_child(f"{Path(__file__).relative_to(ROOT)}::test_concurrent_posts_make_one_row", database, tmp_path,
                 mariadb_test_name="test_credly_course_staff_race")


@pytest.mark.django_db(transaction=True)
def test_a_lost_insert_race_is_retried_as_an_update_in_a_fresh_transaction():
    """Outside any transaction, the loser starts afresh and then finds the winner's row."""
    from unittest import mock  # pylint: disable=import-outside-toplevel

    from opaque_keys.edx.keys import CourseKey  # pylint: disable=import-outside-toplevel

    from openedx_credly.course_staff import course_settings  # pylint: disable=import-outside-toplevel

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
