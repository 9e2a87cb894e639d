"""Award rules applied to real openedx-events: distinction, modes, grade ranges, replays, backfill."""
import weakref
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CcxCourseData, CcxCoursePassingStatusData, CertificateData, CourseData
from openedx_events.learning.signals import (
    CCX_COURSE_PASSING_STATUS_UPDATED,
    CERTIFICATE_CREATED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)

from devhost.standin import models as standin
from openedx_credly.awarding import backfill
from openedx_credly.issuing import delivery
from openedx_credly.models import CourseBadgeTemplate, IssuedBadge
from tests.award_rules.conftest import grade_data, send_grade
from tests.conftest import events_metadata, make_learner, send_passing, user_data

EARNED = datetime(2026, 11, 25, 14, 3, tzinfo=timezone.utc)


def send_certificate(user, course_key, grade, mode="verified"):
    return CERTIFICATE_CREATED.send_event(certificate=CertificateData(
        user=user_data(user), course=CourseData(course_key=course_key, display_name="Credly 101"),
        mode=mode, grade=grade, current_status="downloadable", previous_status="", download_url="", name="",
    ))


def badges(user):
    return set(IssuedBadge.objects.filter(user=user).values_list("template__name", flat=True))


@pytest.fixture
def distinction(make_template, course_key):
    """The course's certificate badge for a grade of 90 % or more."""
    return CourseBadgeTemplate.objects.create(
        course_id=course_key, template=make_template("Distinction"), trigger="certificate", min_grade=Decimal("90"),
    )


@pytest.fixture
def learners(db):
    return [make_learner(username=f"l{n}", email=f"l{n}@example.com") for n in range(4)]


def test_distinction_beside_the_passing_badge(passing_mapping, distinction, course_key, learners,
                                              django_capture_on_commit_callbacks):
    ada, bob = learners[:2]
    with django_capture_on_commit_callbacks(execute=False):
        send_passing(ada, course_key)
        send_certificate(ada, course_key, "0.90")  # exactly 90.0 %
        send_passing(bob, course_key)
        send_certificate(bob, course_key, "0.8999")  # 89.99 %
    assert badges(ada) == {"Course Finisher", "Distinction"}
    assert badges(bob) == {"Course Finisher"}


@pytest.mark.parametrize("grade, awarded", [(0.9, True), ("0.9", True), (0.92, True), ("92%", True),
                                            (0.8999, False), ("", False), (None, False), ("n/a", False)])
def test_certificate_grade_as_number_string_or_missing(distinction, course_key, learner, grade, awarded,
                                                       *, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        send_certificate(learner, course_key, grade)
    assert IssuedBadge.objects.filter(user=learner).exists() is awarded


def test_modes_award_only_listed_certificates(template, course_key, learners, django_capture_on_commit_callbacks):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template, trigger="certificate",
                                       modes=["verified", "professional"])
    with django_capture_on_commit_callbacks(execute=False):
        for learner, mode in zip(learners, ["verified", "professional", "audit", "honor"]):
            send_certificate(learner, course_key, "0.8", mode=mode)
    assert list(IssuedBadge.objects.order_by("user_id").values_list("user__username", flat=True)) == ["l0", "l1"]


def test_grade_trigger_awards_at_the_minimum_and_never_takes_it_back(make_template, course_key, learner,
                                                                     django_capture_on_commit_callbacks):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Half way"), trigger="grade",
                                       min_grade=Decimal("50"))
    metadata = events_metadata(PERSISTENT_GRADE_SUMMARY_CHANGED.event_type, EARNED)
    with django_capture_on_commit_callbacks(execute=False):
        send_grade(learner, course_key, 0.4999, passed=False)
        assert not IssuedBadge.objects.exists()
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event_with_custom_metadata(
            metadata, grade=grade_data(learner, course_key, 0.5, passed=False))
        send_grade(learner, course_key, 0.3, passed=False)  # the grade drops: the badge stays
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event_with_custom_metadata(  # the same event replayed
            metadata, grade=grade_data(learner, course_key, 0.5, passed=False))
    badge = IssuedBadge.objects.get()
    assert badge.earned_at == EARNED and badge.trigger_event_id == str(metadata.id)
    assert badge.state == IssuedBadge.STATE_QUEUED and badge.trigger_event_type == metadata.event_type


def test_disjoint_ranges_give_one_badge_each_as_the_grade_crosses_them(make_template, course_key, learners,
                                                                       django_capture_on_commit_callbacks):
    for name, low, high in (("Bronze", 60, 80), ("Silver", 80, 90), ("Gold", 90, 100)):
        CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template(name), trigger="grade",
                                           min_grade=Decimal(low), max_grade=Decimal(high))
    climber, straight_a = learners[:2]
    with django_capture_on_commit_callbacks(execute=False):
        send_grade(climber, course_key, 0.55)
        assert badges(climber) == set()
        send_grade(climber, course_key, 0.65)
        assert badges(climber) == {"Bronze"}
        send_grade(climber, course_key, 0.80)  # exactly 80: Silver only
        assert badges(climber) == {"Bronze", "Silver"}
        send_grade(climber, course_key, 1.0)
        send_grade(straight_a, course_key, 0.95)
    assert badges(climber) == {"Bronze", "Silver", "Gold"}
    assert badges(straight_a) == {"Gold"}


def test_passing_with_a_grade_range_reads_the_platform_grade(make_template, course_key, learners,
                                                             django_capture_on_commit_callbacks):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Passed with honors"),
                                       trigger="passing", min_grade=Decimal("90"))
    high, low, unknown = learners[:3]
    standin.CourseGrade.objects.create(user=high, course_id=course_key, passed_timestamp=EARNED, percent_grade=0.93)
    standin.CourseGrade.objects.create(user=low, course_id=course_key, passed_timestamp=EARNED, percent_grade=0.7)
    with django_capture_on_commit_callbacks(execute=False):
        for learner in (high, low, unknown):
            send_passing(learner, course_key)
    assert [badge.user for badge in IssuedBadge.objects.all()] == [high]


def test_passing_with_a_grade_range_also_awards_from_the_grade_event(make_template, course_key, learners,
                                                                     django_capture_on_commit_callbacks):
    """Passing at 70 % and reaching 92 % later: no new passing event comes, the grade event awards it."""
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Passed with honors"),
                                       trigger="passing", min_grade=Decimal("90"))
    passed, not_passed = learners[:2]
    with django_capture_on_commit_callbacks(execute=False):
        send_grade(passed, course_key, 0.7, passed=True)
        assert not IssuedBadge.objects.exists()
        send_grade(passed, course_key, 0.92, passed=True)
        send_grade(not_passed, course_key, 0.95, passed=False)  # a grade without passing is not "passing"
    assert [badge.user for badge in IssuedBadge.objects.all()] == [passed]


def test_passing_mapping_without_a_range_ignores_grade_events(passing_mapping, course_key, learner,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        send_grade(learner, course_key, 0.99, passed=True)
    assert not IssuedBadge.objects.exists()  # the passing event awards it, as before


def test_expiry_is_recorded_and_sent_as_expires_at(template, course_key, learner,
                                                   django_capture_on_commit_callbacks):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template, trigger="certificate",
                                       expires_in_months=12)
    metadata = events_metadata(CERTIFICATE_CREATED.event_type, EARNED)
    with django_capture_on_commit_callbacks(execute=False):
        CERTIFICATE_CREATED.send_event_with_custom_metadata(metadata, certificate=CertificateData(
            user=user_data(learner), course=CourseData(course_key=course_key, display_name="Credly 101"),
            mode="verified", grade="0.8", current_status="downloadable", previous_status="", download_url="",
            name=""))
    badge = IssuedBadge.objects.get()
    assert badge.expires_at == datetime(2027, 11, 25, 14, 3, tzinfo=timezone.utc)
    payload = delivery.build_payload(badge)
    assert payload["expires_at"] == "2027-11-25 14:03:00 +0000"
    assert payload["issued_at"] == "2026-11-25 14:03:00 +0000"


def test_no_expiry_sends_no_expires_at(mapping, course_key, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        send_certificate(learner, course_key, "0.8")
    badge = IssuedBadge.objects.get()
    assert badge.expires_at is None and "expires_at" not in delivery.build_payload(badge)


def test_a_grade_reached_before_the_mapping_existed_is_backfilled(make_template, course_key, learners,
                                                                  django_capture_on_commit_callbacks):
    """The grade event came before the mapping: nothing then; the backfill reads the platform's grades."""
    early, low = learners[:2]
    with django_capture_on_commit_callbacks(execute=False):
        send_grade(early, course_key, 0.95)
    assert not IssuedBadge.objects.exists()
    standin.CourseGrade.objects.create(user=early, course_id=course_key, percent_grade=0.95, modified=EARNED)
    standin.CourseGrade.objects.create(user=low, course_id=course_key, percent_grade=0.5, modified=EARNED)
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Top of class"),
                                       trigger="grade", min_grade=Decimal("90"), expires_in_months=6)
    with django_capture_on_commit_callbacks(execute=False):
        first = backfill.backfill(course_key)
        again = backfill.backfill(course_key)  # a replayed backfill adds nothing
    assert (first.queued, dict(first.skipped)) == (1, {"rules": 1})
    assert (again.queued, again.already_had) == (0, 1)
    badge = IssuedBadge.objects.get()
    assert badge.user == early and badge.earned_at == EARNED
    assert badge.expires_at == datetime(2027, 5, 25, 14, 3, tzinfo=timezone.utc)


def test_certificate_backfill_applies_grade_and_mode(distinction, course_key, learners,
                                                     django_capture_on_commit_callbacks):
    distinction.modes = ["verified"]
    distinction.save()
    rows = zip(learners, ["0.95", "0.95", "0.85", ""], ["verified", "audit", "verified", "verified"])
    for learner, grade, mode in rows:
        standin.Certificate.objects.create(user=learner, course_id=course_key, created_date=EARNED, grade=grade,
                                           mode=mode)
    with django_capture_on_commit_callbacks(execute=False):
        result = backfill.backfill(course_key)
    assert result.queued == 1 and result.skipped["rules"] == 3
    assert [badge.user for badge in IssuedBadge.objects.all()] == [learners[0]]


def test_a_receiver_error_never_reaches_the_platform(make_template, course_key, learner, monkeypatch):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("G"), trigger="grade",
                                       min_grade=Decimal("10"))
    from openedx_credly.awarding import receivers  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(receivers, "record_course_badges", lambda *args: 1 / 0)
    results = send_grade(learner, course_key, 0.5)
    assert all(error is None for _receiver, error in results)


def test_the_new_receivers_are_connected_by_the_plugin_mechanism():
    from openedx_events.learning.signals import (  # pylint: disable=import-outside-toplevel
        COURSE_ENROLLMENT_CREATED,
        COURSE_UNENROLLMENT_COMPLETED,
    )

    from openedx_credly.awarding import receivers  # pylint: disable=import-outside-toplevel

    def connected(signal):
        refs = [entry[1] for entry in signal.receivers]
        return [ref() if isinstance(ref, weakref.ReferenceType) else ref for ref in refs]

    assert receivers.on_persistent_grade_changed in connected(PERSISTENT_GRADE_SUMMARY_CHANGED)
    assert receivers.on_enrollment_created in connected(COURSE_ENROLLMENT_CREATED)
    assert receivers.on_unenrollment_completed in connected(COURSE_UNENROLLMENT_COMPLETED)


# ---------------------------------------------------------------- CCX learners (issue 19, finding 11)


def ccx_of(course_key, number=3):
    return CourseKey.from_string(f"ccx-v1:{course_key.org}+{course_key.course}+{course_key.run}+ccx@{number}")


def send_ccx_passing(user, course_key, ccx_key):
    """The CCX_COURSE_PASSING_STATUS_UPDATED the grades app sends for a CCX learner."""
    CCX_COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=CcxCoursePassingStatusData(
        is_passing=True, user=user_data(user),
        course=CcxCourseData(ccx_course_key=ccx_key, master_course_key=course_key, display_name="CCX"),
    ))


def test_a_ccx_learner_meets_a_grade_range_of_the_master_course(make_template, course_key, learners,
                                                                django_capture_on_commit_callbacks):
    """The LMS keeps a CCX learner's grade under the CCX's key: the range is checked against it."""
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Passed with honors"),
                                       trigger="passing", min_grade=Decimal("90"))
    ccx_key = ccx_of(course_key)
    high, low = learners[:2]
    standin.CourseGrade.objects.create(user=high, course_id=ccx_key, passed_timestamp=EARNED, percent_grade=0.93)
    standin.CourseGrade.objects.create(user=low, course_id=ccx_key, passed_timestamp=EARNED, percent_grade=0.7)
    with django_capture_on_commit_callbacks(execute=False):
        for learner in (high, low):
            send_ccx_passing(learner, course_key, ccx_key)
    assert [(badge.user, badge.course_id) for badge in IssuedBadge.objects.all()] == [(high, course_key)]


def test_a_ccx_grade_event_awards_the_master_courses_grade_mapping(make_template, course_key, learners,
                                                                   django_capture_on_commit_callbacks):
    """A ``grade`` mapping on the master course awards CCX learners whose grade in their CCX reaches it."""
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Top of the class"),
                                       trigger="grade", min_grade=Decimal("90"))
    climber, other = learners[:2]
    with django_capture_on_commit_callbacks(execute=False):
        send_grade(climber, ccx_of(course_key), 0.8)
        assert not IssuedBadge.objects.exists()
        send_grade(climber, ccx_of(course_key), 0.95)
        send_grade(other, ccx_of(course_key, 4), 0.91, passed=False)
    assert sorted((badge.user.username, str(badge.course_id)) for badge in IssuedBadge.objects.all()) == [
        (climber.username, str(course_key)), (other.username, str(course_key))]
