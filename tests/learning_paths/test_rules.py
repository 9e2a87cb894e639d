"""Progress from real events, the all / at-least-N rules, and the path badge going through the pipeline."""
from datetime import datetime, timedelta, timezone

import pytest
from opaque_keys.edx.keys import CourseKey

from devhost.standin import models as standin
from openedx_credly.awarding import learning_paths, milestones
from openedx_credly.awarding.recording import Achievement, record_achievement
from openedx_credly.models import BadgeTemplate, CredlyErrorLog, IssuedBadge, LearningPath, LearningPathProgress
from tests.conftest import make_learner, send_certificate, send_passing
from tests.learning_paths.conftest import make_path

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def achieve(user, course_key, when, trigger="certificate", event_id=""):
    return record_achievement(Achievement(
        user_id=user.pk, course_key=course_key, trigger=trigger, earned_at=when, email=user.email,
        full_name=user.get_full_name(), username=user.username, event_type="test.event", event_id=event_id,
    ))


def path_badges(user=None):
    badges = IssuedBadge.objects.filter(learning_path__isnull=False)
    return list(badges.filter(user=user) if user else badges)


def test_all_rule_issues_once_every_course_is_earned(learner, courses, path_template, credly_badges,
                                                     django_capture_on_commit_callbacks):
    path = make_path(path_template, courses[:2])
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, courses[0])
    assert not path_badges()
    assert LearningPathProgress.objects.filter(user=learner, path=path).count() == 1
    assert credly_badges.posted == []

    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, courses[1])

    [badge] = path_badges(learner)
    assert badge.learning_path == path
    assert not badge.course_id
    assert badge.state == IssuedBadge.STATE_PENDING
    assert badge.credly_badge_id
    assert [body["badge_template_id"] for body in credly_badges.posted] == [path_template.template_id]
    assert credly_badges.posted[0]["recipient_email"] == learner.email


def test_at_least_rule(learner, courses, path_template, credly_badges, django_capture_on_commit_callbacks):
    path = make_path(path_template, courses, rule=LearningPath.RULE_AT_LEAST, required_count=2)
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[0], T0)
    assert not path_badges()
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[2], T0 + timedelta(days=3))
    [badge] = path_badges(learner)
    # The badge was earned when the N-th course was.
    assert badge.earned_at == T0 + timedelta(days=3)
    assert badge.learning_path == path

    # A third course earns nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[1], T0 + timedelta(days=5))
    assert len(path_badges()) == 1
    assert len(credly_badges.posted) == 1


def test_events_out_of_order_and_repeated(learner, courses, path_template, credly_badges,
                                          django_capture_on_commit_callbacks):
    make_path(path_template, courses)
    for course_key, day in ((courses[2], 9), (courses[2], 10), (courses[0], 4), (courses[2], 11)):
        with django_capture_on_commit_callbacks(execute=True):
            achieve(learner, course_key, T0 + timedelta(days=day))
    assert not path_badges()
    assert LearningPathProgress.objects.filter(user=learner).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[1], T0 + timedelta(days=1))
    for course_key in courses:  # every course again, in reverse
        with django_capture_on_commit_callbacks(execute=True):
            send_certificate(learner, course_key)

    [badge] = path_badges(learner)
    # The first recorded completion of each course counts: the last of them is day 9.
    assert badge.earned_at == T0 + timedelta(days=9)
    assert len(credly_badges.posted) == 1


def test_a_course_in_two_paths(learner, courses, path_template, template, credly_badges, *,
                               django_capture_on_commit_callbacks):
    first = make_path(path_template, [courses[0], courses[1]], name="First")
    second = make_path(template, [courses[0], courses[2]], name="Second")
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[1], T0)
        achieve(learner, courses[2], T0)
    assert not path_badges()

    with django_capture_on_commit_callbacks(execute=True):
        scheduled = achieve(learner, courses[0], T0 + timedelta(days=1))

    assert len(scheduled) == 2
    assert {badge.learning_path for badge in path_badges(learner)} == {first, second}
    assert sorted(body["badge_template_id"] for body in credly_badges.posted) == sorted(
        [path_template.template_id, template.template_id])


def test_per_course_trigger(learner, courses, path_template, credly_badges, django_capture_on_commit_callbacks):
    make_path(path_template, [(courses[0], "passing"), (courses[1], "certificate")])
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, courses[0])  # course A counts on passing, not on a certificate
        send_passing(learner, courses[1])  # course B counts on a certificate
    assert LearningPathProgress.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        send_passing(learner, courses[0])
        send_certificate(learner, courses[1])
    assert len(path_badges(learner)) == 1


def test_course_passed_before_the_path_existed_counts_on_the_next_event(
    learner, courses, path_template, credly_badges, django_capture_on_commit_callbacks,
):
    earlier = T0 - timedelta(days=30)
    standin.Certificate.objects.create(user=learner, course_id=courses[0], created_date=earlier)
    standin.CourseGrade.objects.create(user=learner, course_id=courses[1], passed_timestamp=earlier)
    # The learner's certificate event for course A came before the path: nothing recorded it.
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, courses[0])
    path = make_path(path_template, [(courses[0], "certificate"), (courses[1], "passing"),
                                     (courses[2], "certificate")])

    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[2], T0)

    [badge] = path_badges(learner)
    assert badge.earned_at == T0
    progress = {str(row.course_id): row for row in LearningPathProgress.objects.filter(user=learner, path=path)}
    assert progress[str(courses[0])].source == LearningPathProgress.SOURCE_PLATFORM
    assert progress[str(courses[0])].achieved_at == earlier
    assert progress[str(courses[1])].source == LearningPathProgress.SOURCE_PLATFORM
    assert progress[str(courses[2])].source == LearningPathProgress.SOURCE_EVENT
    assert len(credly_badges.posted) == 1


def test_platform_records_of_another_learner_do_not_count(learner, courses, path_template, credly_badges,
                                                          django_capture_on_commit_callbacks):
    other = make_learner(username="grace", email="grace@example.com")
    standin.Certificate.objects.create(user=other, course_id=courses[0], created_date=T0)
    make_path(path_template, courses[:2])
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[1], T0)
    assert not path_badges()


def test_archived_template_records_progress_but_issues_nothing(learner, courses, path_template, credly_badges,
                                                               django_capture_on_commit_callbacks):
    make_path(path_template, courses[:1])
    BadgeTemplate.objects.filter(pk=path_template.pk).update(state=BadgeTemplate.STATE_ARCHIVED)
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[0], T0)
    assert LearningPathProgress.objects.filter(user=learner).count() == 1
    assert not path_badges()


def test_inactive_path_records_nothing(learner, courses, path_template, credly_badges,
                                       django_capture_on_commit_callbacks):
    path = make_path(path_template, courses[:1])
    path.is_active = False
    path.save()
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[0], T0)
    assert LearningPathProgress.objects.count() == 0
    assert not path_badges()


def test_learner_without_email_is_logged_not_issued(courses, path_template, credly_badges,
                                                    django_capture_on_commit_callbacks):
    learner = make_learner(username="noemail", email="")
    make_path(path_template, courses[:1], name="Solo path")
    with django_capture_on_commit_callbacks(execute=True):
        record_achievement(Achievement(user_id=learner.pk, course_key=courses[0], trigger="certificate",
                                       earned_at=T0))
    assert not path_badges()
    entry = CredlyErrorLog.objects.get(kind=CredlyErrorLog.KIND_LEARNER_DATA)
    assert "Solo path" in entry.details


def test_course_badge_and_path_badge_of_the_same_event(learner, courses, mapping, path_template, credly_badges, *,
                                                       django_capture_on_commit_callbacks):
    # ``mapping`` maps the conftest course; map course A too, and make A a one-course path.
    mapping.course_id = courses[0]
    mapping.save()
    make_path(path_template, courses[:1])
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, courses[0])
    badges = IssuedBadge.objects.filter(user=learner)
    assert {(str(badge.course_id or ""), badge.learning_path_id is not None) for badge in badges} == {
        (str(courses[0]), False), ("", True)}
    assert len(credly_badges.posted) == 2


def test_a_failing_path_never_costs_the_course_badge(learner, courses, mapping, path_template, credly_badges, *,
                                                     django_capture_on_commit_callbacks, monkeypatch):
    mapping.course_id = courses[0]
    mapping.save()
    make_path(path_template, courses[:1])

    def broken(*args, **kwargs):
        raise RuntimeError("path bookkeeping broke")

    monkeypatch.setattr(learning_paths, "record_progress", broken)
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, courses[0])
    assert IssuedBadge.objects.filter(user=learner, course_id=courses[0]).count() == 1
    assert not path_badges()


# --- editing a path after learners progressed --------------------------------------------------

def test_adding_a_course_keeps_earned_badges(learner, courses, path_template, credly_badges,
                                             django_capture_on_commit_callbacks):
    path = make_path(path_template, courses[:2])
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[0], T0)
        achieve(learner, courses[1], T0)
    [badge] = path_badges(learner)

    with django_capture_on_commit_callbacks(execute=True):
        learning_paths.set_courses(path, [(key, "certificate") for key in courses])
    assert path_badges(learner) == [badge]
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING
    assert len(credly_badges.posted) == 1


def test_removing_a_course_re_evaluates_pending_progress(learner, courses, path_template, credly_badges,
                                                         django_capture_on_commit_callbacks):
    path = make_path(path_template, courses)
    other = make_learner(username="grace", email="grace@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[0], T0)
        achieve(learner, courses[1], T0 + timedelta(days=2))
        achieve(other, courses[0], T0)  # one course of the two left: still pending
    assert not path_badges()

    with django_capture_on_commit_callbacks(execute=True):
        path.courses.get(course_id=courses[2]).delete()

    [badge] = path_badges()
    assert badge.user == learner
    assert badge.earned_at == T0 + timedelta(days=2)
    assert badge.trigger_event_type == learning_paths.EVENT_TYPE_EDITED
    assert len(credly_badges.posted) == 1


def test_lowering_n_re_evaluates(learner, courses, path_template, credly_badges, django_capture_on_commit_callbacks):
    path = make_path(path_template, courses, rule=LearningPath.RULE_AT_LEAST, required_count=3)
    with django_capture_on_commit_callbacks(execute=True):
        achieve(learner, courses[0], T0)
        achieve(learner, courses[1], T0)
    assert not path_badges()
    path.required_count = 2
    with django_capture_on_commit_callbacks(execute=True):
        path.save()
    assert len(path_badges(learner)) == 1


def test_required_count_is_capped_at_the_course_count(path_template, courses):
    path = make_path(path_template, courses, rule=LearningPath.RULE_AT_LEAST, required_count=3)
    assert path.required_for(2) == 2
    assert path.required_for(3) == 3


# --- cost of events ------------------------------------------------------------------------------

def test_course_in_no_mapping_and_no_path_costs_one_query(learner, courses, path_template,
                                                          django_assert_num_queries,
                                                          django_capture_on_commit_callbacks):
    make_path(path_template, courses[:2])
    learning_paths.course_index()  # warm
    milestones.active_kinds()  # warm: no milestone either
    elsewhere = CourseKey.from_string("course-v1:Elsewhere+X1+2026")
    with django_capture_on_commit_callbacks(execute=True):
        with django_assert_num_queries(1):
            send_certificate(learner, elsewhere)
        with django_assert_num_queries(1):
            send_passing(learner, courses[2])
        # Course A is in a path, but only for certificates.
        with django_assert_num_queries(1):
            send_passing(learner, courses[0])
    assert LearningPathProgress.objects.count() == 0


def test_the_index_follows_path_changes(courses, path_template):
    assert not learning_paths.in_any_path(courses[0], "certificate")
    path = make_path(path_template, courses[:1])
    assert learning_paths.in_any_path(courses[0], "certificate")
    path.is_active = False
    path.save()
    assert not learning_paths.in_any_path(courses[0], "certificate")
    path.is_active = True
    path.save()
    path.courses.get().delete()
    assert not learning_paths.in_any_path(courses[0], "certificate")
