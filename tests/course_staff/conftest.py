"""Fixtures of the course staff tests: people in each role, an API client, stand-in courses."""
import pytest
from django.contrib.auth import get_user_model
from opaque_keys.edx.keys import CourseKey
from rest_framework.test import APIClient

from devhost.standin import models as standin
from openedx_credly.models import BadgeTemplate
from tests.conftest import COURSE

OTHER_COURSE = "course-v1:OpenCraft+OTHER+2026"
ARCHIVED_ID = "bbbbbbbb-0000-0000-0000-000000000002"
DRAFT_ID = "bbbbbbbb-0000-0000-0000-000000000003"


def make_user(username, **extra):
    return get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password="pw",
                                                **extra)


def give_role(user, course_id, role):
    standin.CourseRole.objects.create(user=user, course_id=CourseKey.from_string(course_id), role=role)
    return user


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def people(db):
    """One account per role that matters to the API."""
    return {
        "global_staff": make_user("gstaff", is_staff=True),
        "course_staff": give_role(make_user("cstaff"), COURSE, "staff"),
        "course_instructor": give_role(make_user("cinstructor"), COURSE, "instructor"),
        "other_course_staff": give_role(make_user("ostaff"), OTHER_COURSE, "staff"),
        "beta_tester": give_role(make_user("beta"), COURSE, "beta_testers"),
        "learner": make_user("plainlearner"),
    }


@pytest.fixture
def archived_template(organization):
    return BadgeTemplate.objects.create(organization=organization, template_id=ARCHIVED_ID, name="Retired badge",
                                        state=BadgeTemplate.STATE_ARCHIVED)


@pytest.fixture
def draft_template(organization):
    return BadgeTemplate.objects.create(organization=organization, template_id=DRAFT_ID, name="Draft badge",
                                        state=BadgeTemplate.STATE_DRAFT)


@pytest.fixture
def course_row(db, course_key):
    """The course as the stand-in platform knows it (name, Other Course Settings)."""
    return standin.Course.objects.create(course_id=course_key, display_name="Credly 101")


def pytest_collection_modifyitems(config, items):
    """
    The threaded race needs a database that several connections really share; on the
    in-memory SQLite of a plain run it is deselected (not skipped), since
    ``test_concurrent_posts_in_a_child_run`` runs it in child pytests that have one.
    """
    from django.conf import settings  # pylint: disable=import-outside-toplevel

    database = settings.DATABASES["default"]
    shared = database["ENGINE"].endswith("mysql") or (
        database["ENGINE"].endswith("sqlite3")
        and database.get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE"
    )
    if shared:
        return
    race = [item for item in items if item.name == "test_concurrent_posts_make_one_row"]
    if race:
        config.hook.pytest_deselected(items=race)
        items[:] = [item for item in items if item not in race]
