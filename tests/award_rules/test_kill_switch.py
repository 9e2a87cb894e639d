"""The kill switch (CREDLY_ISSUING_ENABLED) holds for grade and enrollment events too."""
from decimal import Decimal

from openedx_credly.models import CourseBadgeTemplate, CourseEnrollmentRecord, IssuedBadge, Milestone
from tests.award_rules.conftest import send_enrollment, send_grade


def test_with_the_kill_switch_off_a_grade_event_earns_nothing(settings, make_template, course_key, learner,
                                                              django_capture_on_commit_callbacks):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Half way"), trigger="grade",
                                       min_grade=Decimal("50"))
    settings.CREDLY_ISSUING_ENABLED = False
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_grade(learner, course_key, 0.8, passed=False)
    assert not IssuedBadge.objects.exists()
    assert not callbacks
    settings.CREDLY_ISSUING_ENABLED = True
    with django_capture_on_commit_callbacks(execute=False):
        send_grade(learner, course_key, 0.8, passed=False)
    assert IssuedBadge.objects.filter(user=learner, course_id=course_key).count() == 1


def test_with_the_kill_switch_off_an_enrollment_counts_toward_no_milestone(settings, make_template, course_key,
                                                                           learner,
                                                                           django_capture_on_commit_callbacks):
    Milestone.objects.create(name="Explorer", template=make_template("Explorer"), kind=Milestone.KIND_ENROLLED,
                             required_count=1)
    settings.CREDLY_ISSUING_ENABLED = False
    with django_capture_on_commit_callbacks(execute=False):
        send_enrollment(learner, course_key)
    assert not CourseEnrollmentRecord.objects.exists()
    assert not IssuedBadge.objects.exists()
    settings.CREDLY_ISSUING_ENABLED = True
    with django_capture_on_commit_callbacks(execute=False):
        send_enrollment(learner, course_key)
    assert CourseEnrollmentRecord.objects.filter(user=learner).count() == 1
    assert IssuedBadge.objects.filter(user=learner).count() == 1
