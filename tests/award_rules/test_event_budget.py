"""
The cost of the events award rules listen to, measured like ``tests/reliability/test_query_budget.py``.

``PERSISTENT_GRADE_SUMMARY_CHANGED`` fires on every graded submission and
``COURSE_ENROLLMENT_CREATED`` on every enrollment: a course with no grade rule, and a
site with no milestone, must still cost at most one query per event (after the
per-process caches are filled once).
"""
from decimal import Decimal

import pytest
from opaque_keys.edx.keys import CourseKey

from openedx_credly.models import CourseBadgeTemplate, CourseEnrollmentRecord, IssuedBadge, Milestone
from tests.award_rules.conftest import send_enrollment, send_grade
from tests.conftest import make_learner, plugin_queries, send_certificate

EVENTS = 20


def _queries(send):
    """The plugin's queries for an event sent inside the platform's own transaction."""
    return plugin_queries(send, in_transaction=True)


@pytest.fixture
def learners(db):
    return [make_learner(username=f"gb{n}", email=f"gb{n}@example.com") for n in range(EVENTS)]


@pytest.mark.django_db(transaction=True)
def test_grade_event_of_a_course_without_grade_rules_costs_at_most_one_query(mapping, make_template, learners,
                                                                             course_key, enqueued):
    """The course has certificate and passing badges, but no grade rule: one query, nothing recorded."""
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Passed"), trigger="passing")
    other = CourseKey.from_string("course-v1:Other+Budget+1")
    _queries(lambda: send_grade(learners[0], course_key, 0.5))
    for learner in learners[1:]:
        for course in (course_key, other):
            queries = _queries(lambda learner=learner, course=course: send_grade(learner, course, 0.95))
            assert len(queries) <= 1, queries
    assert not IssuedBadge.objects.exists() and not enqueued


@pytest.mark.django_db(transaction=True)
def test_grade_event_below_the_minimum_costs_one_query(make_template, learners, course_key, enqueued):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Top"), trigger="grade",
                                       min_grade=Decimal("90"))
    for learner in learners:
        assert len(_queries(lambda learner=learner: send_grade(learner, course_key, 0.42))) <= 1
    assert not IssuedBadge.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_grade_event_reaching_the_minimum_awards_once_then_costs_two_queries(make_template, learners, course_key,
                                                                             enqueued):
    """
    Reaching the minimum records the badge (six queries: grade events carry no name, so
    the learner's is read); every later grade event of a holder costs two and writes nothing.
    """
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Top"), trigger="grade",
                                       min_grade=Decimal("90"))
    _queries(lambda: send_grade(learners[0], course_key, 0.95))
    for learner in learners[1:]:
        queries = _queries(lambda learner=learner: send_grade(learner, course_key, 0.95))
        assert len(queries) <= 6, queries
    assert IssuedBadge.objects.count() == EVENTS and sorted(enqueued) == sorted(
        IssuedBadge.objects.values_list("id", flat=True))
    for learner in learners:
        queries = _queries(lambda learner=learner: send_grade(learner, course_key, 0.97))
        assert len(queries) <= 2 and not any(q.upper().startswith("INSERT") for q in queries), queries
    assert len(enqueued) == EVENTS


@pytest.mark.django_db(transaction=True)
def test_enrollment_event_without_milestones_costs_no_query(learners, course_key):
    _queries(lambda: send_enrollment(learners[0], course_key))  # the cached "no milestone" fills once
    for learner in learners[1:]:
        assert _queries(lambda learner=learner: send_enrollment(learner, course_key)) == []
    assert not CourseEnrollmentRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_certificate_event_of_an_unmapped_course_still_costs_one_query_with_an_enrollment_milestone(
        make_template, learners, enqueued):
    """A milestone of the other kind does not make completions cost anything."""
    Milestone.objects.create(name="Explorer", template=make_template("Explorer"), kind=Milestone.KIND_ENROLLED,
                             required_count=3)
    other = CourseKey.from_string("course-v1:Other+Budget+1")
    _queries(lambda: send_certificate(learners[0], other))
    for learner in learners[1:]:
        assert len(_queries(lambda learner=learner: send_certificate(learner, other))) <= 1
