"""Fixtures of the award-rule tests: more templates of the same organization, real grade events."""
import uuid
from datetime import datetime, timezone

import pytest
from django.core.cache import cache
from openedx_events.learning.data import CourseData, CourseEnrollmentData, PersistentCourseGradeData
from openedx_events.learning.signals import (
    COURSE_ENROLLMENT_CREATED,
    COURSE_UNENROLLMENT_COMPLETED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)

from openedx_credly.models import BadgeTemplate
from tests.conftest import user_data
# The course staff tests' people, API client and stand-in course.
from tests.course_staff.conftest import api, course_row, people  # noqa: F401  pylint: disable=unused-import


@pytest.fixture(autouse=True)
def clear_cache():
    """Cached milestone kinds and path indexes of a rolled-back test must not linger."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_template(organization):
    """Another active template of the organization."""
    def make(name):
        return BadgeTemplate.objects.create(organization=organization, template_id=str(uuid.uuid4()), name=name,
                                            image_url=f"https://credly.test/images/{name.lower()}.png")
    return make


def grade_data(user, course_key, percent_grade, passed=True):
    """The PersistentCourseGradeData the grades app sends."""
    return PersistentCourseGradeData(
        user_id=user.id,
        course=CourseData(course_key=course_key, display_name="Credly 101"),
        course_edited_timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc),
        course_version="v1",
        grading_policy_hash="hash",
        percent_grade=percent_grade,
        letter_grade="A" if percent_grade >= 0.9 else "",
        passed_timestamp=datetime(2026, 11, 20, tzinfo=timezone.utc) if passed else None,
    )


def send_grade(user, course_key, percent_grade, passed=True):
    """Send a real PERSISTENT_GRADE_SUMMARY_CHANGED event."""
    return PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=grade_data(user, course_key, percent_grade, passed))


def enrollment_data(user, course_key, is_active=True, when=None):
    return CourseEnrollmentData(
        user=user_data(user),
        course=CourseData(course_key=course_key, display_name=str(course_key)),
        mode="audit",
        is_active=is_active,
        creation_date=when or datetime(2026, 10, 1, tzinfo=timezone.utc),
    )


def send_enrollment(user, course_key, **kwargs):
    """Send a real COURSE_ENROLLMENT_CREATED event."""
    return COURSE_ENROLLMENT_CREATED.send_event(enrollment=enrollment_data(user, course_key, **kwargs))


def send_unenrollment(user, course_key):
    """Send a real COURSE_UNENROLLMENT_COMPLETED event."""
    return COURSE_UNENROLLMENT_COMPLETED.send_event(enrollment=enrollment_data(user, course_key, is_active=False))
