"""Milestones: "enrolled in N courses" and "completed N courses", counted from durable records."""
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from django.test import Client
from opaque_keys.edx.keys import CourseKey

from devhost.standin import models as standin
from openedx_credly.awarding import milestones
from openedx_credly.awarding.receivers import on_enrollment_created
from openedx_credly.learners import panel
from openedx_credly.models import CourseCompletionRecord, CourseEnrollmentRecord, IssuedBadge, Milestone
from tests.award_rules.conftest import send_enrollment, send_unenrollment
from tests.conftest import make_learner, send_certificate, send_passing

START = datetime(2026, 9, 1, tzinfo=timezone.utc)


def key(text):
    return CourseKey.from_string(text)


def course(org, number):
    return key(f"course-v1:{org}+C{number}+2026")


@pytest.fixture
def explorer(make_template):
    return Milestone.objects.create(name="Explorer", template=make_template("Explorer"), kind=Milestone.KIND_ENROLLED,
                                    required_count=3, organization="OpenCraft")


@pytest.fixture
def finisher(make_template):
    return Milestone.objects.create(name="Finisher", template=make_template("Five"), kind=Milestone.KIND_COMPLETED,
                                    required_count=2)


def held(user, milestone):
    return IssuedBadge.objects.filter(user=user, template=milestone.template, course_id=milestones.NO_COURSE)


def test_enrolled_in_n_courses_of_an_organization(explorer, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        send_enrollment(learner, course("OpenCraft", 1), when=START)
        send_enrollment(learner, course("OpenCraft", 2), when=START + timedelta(days=1))
        send_enrollment(learner, course("Other", 1), when=START + timedelta(days=2))  # not OpenCraft's
        send_enrollment(learner, course("OpenCraft", 2), when=START + timedelta(days=3))  # replayed
        assert not held(learner, explorer).exists()
        send_enrollment(learner, course("OpenCraft", 3), when=START + timedelta(days=4))
    badge = held(learner, explorer).get()
    assert badge.earned_at == START + timedelta(days=4) and badge.state == IssuedBadge.STATE_QUEUED
    assert badge.recipient_email == learner.email and badge.trigger_event_type == milestones.EVENT_TYPE
    assert badge.milestone_id == explorer.pk
    assert CourseEnrollmentRecord.objects.filter(user=learner).count() == 4


def test_a_milestone_badge_shows_its_milestone(explorer, learner):
    """The learner sees what earned a milestone's badge, as a path's badge shows its path."""
    IssuedBadge.objects.create(user=learner, template=explorer.template, course_id=milestones.NO_COURSE,
                               milestone=explorer, state=IssuedBadge.STATE_PENDING, credly_badge_id="b-m",
                               earned_at=START)
    (badge,) = panel.learner_badges(learner).badges
    assert (badge.milestone_name, badge.earned_for, badge.course_name) == ("Explorer", "Explorer", "")
    client = Client()
    client.force_login(learner)
    assert client.get("/api/credly/v1/badges/").json()["results"][0]["milestone_name"] == "Explorer"


def test_an_unenrolled_course_stops_counting_but_an_earned_badge_stays(explorer, learner,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        send_enrollment(learner, course("OpenCraft", 1))
        send_enrollment(learner, course("OpenCraft", 2))
        send_unenrollment(learner, course("OpenCraft", 2))
        send_enrollment(learner, course("OpenCraft", 3))
        assert not held(learner, explorer).exists()  # two active enrollments
        send_enrollment(learner, course("OpenCraft", 2))  # re-enrolled: counts again
        assert held(learner, explorer).count() == 1
        send_unenrollment(learner, course("OpenCraft", 1))
    assert held(learner, explorer).count() == 1


def test_completed_n_courses_counts_a_course_once(finisher, learner, django_capture_on_commit_callbacks):
    first, second = course("OpenCraft", 1), course("Other", 2)
    with django_capture_on_commit_callbacks(execute=False):
        send_passing(learner, first)
        send_certificate(learner, first)  # the same course again: still one completion
        send_passing(learner, first)  # replayed
        assert not held(learner, finisher).exists()
        send_certificate(learner, second)
    assert held(learner, finisher).count() == 1
    assert CourseCompletionRecord.objects.filter(user=learner).count() == 2


def test_prefixes_limit_the_courses_that_count(make_template, learner, django_capture_on_commit_callbacks):
    milestone = Milestone.objects.create(name="Data", template=make_template("Data"), kind=Milestone.KIND_COMPLETED,
                                         required_count=2, course_key_prefixes="course-v1:OpenCraft+DS\n\n")
    with django_capture_on_commit_callbacks(execute=False):
        send_passing(learner, key("course-v1:OpenCraft+DS1+2026"))
        send_passing(learner, key("course-v1:OpenCraft+WEB1+2026"))
        assert not held(learner, milestone).exists()
        send_passing(learner, key("course-v1:OpenCraft+DS2+2026"))
    assert held(learner, milestone).count() == 1


def test_counts_course_filters():
    both = Milestone(organization="opencraft", course_key_prefixes="course-v1:OpenCraft+DS")
    assert milestones.counts_course(both, "course-v1:OpenCraft+DS1+2026")
    assert not milestones.counts_course(both, "course-v1:OpenCraft+WEB+2026")
    assert not milestones.counts_course(both, "course-v1:Other+DS1+2026")
    assert milestones.counts_course(Milestone(organization="Org"), "Org/Old/2014")  # old-style keys too
    assert not milestones.counts_course(Milestone(organization="Org"), "not a key")


def test_an_inactive_milestone_awards_nothing_and_costs_nothing(explorer, learner, django_assert_num_queries):
    explorer.is_active = False
    explorer.save()
    milestones.active_kinds()
    with django_assert_num_queries(0):
        send_enrollment(learner, course("OpenCraft", 1))
    assert not CourseEnrollmentRecord.objects.exists()


def test_history_before_the_milestone_is_backfilled_once(make_template, capsys, django_capture_on_commit_callbacks):
    ada, bob, cy = (make_learner(username=name, email=f"{name}@example.com") for name in ("ada", "bob", "cy"))
    for number in range(3):
        standin.Enrollment.objects.create(user=ada, course_id=course("OpenCraft", number),
                                          created=START + timedelta(days=number))
    standin.Enrollment.objects.create(user=bob, course_id=course("OpenCraft", 1), created=START)
    standin.Enrollment.objects.create(user=bob, course_id=course("OpenCraft", 2), created=START, is_active=False)
    standin.Course.objects.create(course_id=course("OpenCraft", 1), display_name="One")
    standin.Course.objects.create(course_id=course("OpenCraft", 2), display_name="Two")
    standin.Certificate.objects.create(user=cy, course_id=course("OpenCraft", 1), created_date=START)
    standin.CourseGrade.objects.create(user=cy, course_id=course("OpenCraft", 2), passed_timestamp=START,
                                       percent_grade=0.8)
    with django_capture_on_commit_callbacks(execute=True):
        explorer = Milestone.objects.create(name="Explorer", template=make_template("Explorer"),
                                            kind=Milestone.KIND_ENROLLED, required_count=3)
        finisher = Milestone.objects.create(name="Finisher", template=make_template("Two"),
                                            kind=Milestone.KIND_COMPLETED, required_count=2)
    assert not IssuedBadge.objects.exists()  # nothing recorded yet: the events came before the milestones

    with django_capture_on_commit_callbacks(execute=False):
        call_command("credly_backfill_milestones", "--dry-run")
        assert not IssuedBadge.objects.exists()
        call_command("credly_backfill_milestones")
        call_command("credly_backfill_milestones")  # a second run adds nothing
    out = capsys.readouterr().out
    assert "Explorer (id %s): 1 learner(s) reached it without a badge; 1 badge(s) would be queued." % explorer.pk in out
    assert sorted(IssuedBadge.objects.values_list("user__username", "template__name")) == [
        ("ada", "Explorer"), ("cy", "Two")]
    assert held(ada, explorer).get().earned_at == START + timedelta(days=2)
    assert held(cy, finisher).get().earned_at == START


def test_a_new_milestone_awards_from_the_records_already_kept(make_template, learner,
                                                              django_capture_on_commit_callbacks):
    first = Milestone.objects.create(name="One", template=make_template("One"), kind=Milestone.KIND_ENROLLED,
                                     required_count=1)
    with django_capture_on_commit_callbacks(execute=True):
        send_enrollment(learner, course("OpenCraft", 1))
        send_enrollment(learner, course("OpenCraft", 2))
    assert held(learner, first).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        second = Milestone.objects.create(name="Two", template=make_template("Two"), kind=Milestone.KIND_ENROLLED,
                                          required_count=2)
    assert held(learner, second).count() == 1


def test_an_enrollment_receiver_never_raises(explorer, learner, monkeypatch):
    monkeypatch.setattr(milestones, "evaluate_user", lambda *args: 1 / 0)
    results = send_enrollment(learner, course("OpenCraft", 1))
    assert all(error is None for _receiver, error in results)
    on_enrollment_created(signal=None, sender=None, enrollment=None, metadata=None)  # nonsense data: logged, not raised
