"""Backfill of a path from the platform's records, and its management command."""
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devhost.standin import models as standin
from openedx_credly.awarding import learning_paths
from openedx_credly.models import IssuedBadge, LearningPath, LearningPathProgress
from tests.conftest import make_learner
from tests.learning_paths.conftest import make_path

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def history(courses):
    """Ada completed A (certificate) and B (passing); Grace only A; Alan only B."""
    ada = make_learner()
    grace = make_learner(username="grace", email="grace@example.com", first_name="Grace", last_name="Hopper")
    alan = make_learner(username="alan", email="alan@example.com", first_name="Alan", last_name="Turing")
    standin.Certificate.objects.create(user=ada, course_id=courses[0], created_date=T0)
    standin.CourseGrade.objects.create(user=ada, course_id=courses[1], passed_timestamp=T0 + timedelta(days=7))
    standin.Certificate.objects.create(user=grace, course_id=courses[0], created_date=T0)
    standin.CourseGrade.objects.create(user=alan, course_id=courses[1], passed_timestamp=T0)
    standin.CourseGrade.objects.create(user=grace, course_id=courses[1], passed_timestamp=None)  # not passed
    return ada, grace, alan


@pytest.fixture
def path(path_template, courses):
    return make_path(path_template, [(courses[0], "certificate"), (courses[1], "passing")])


def test_dry_run_changes_nothing(history, path):
    summary = learning_paths.backfill_path(path, dry_run=True)
    assert summary == {"courses": 2, "progress_found": 4, "learners_qualified": 1, "badges_queued": 0}
    assert LearningPathProgress.objects.count() == 0
    assert IssuedBadge.objects.count() == 0


def test_backfill_awards_learners_who_meet_the_rule_once(history, path, credly_badges,
                                                         django_capture_on_commit_callbacks):
    ada, _grace, _alan = history
    with django_capture_on_commit_callbacks(execute=True):
        summary = learning_paths.backfill_path(path)
    assert summary["badges_queued"] == 1
    assert summary["progress_found"] == 4
    [badge] = IssuedBadge.objects.filter(learning_path=path)
    assert badge.user == ada
    assert badge.earned_at == T0 + timedelta(days=7)  # when the rule was met, not today
    assert badge.trigger_event_type == learning_paths.EVENT_TYPE_BACKFILL
    assert badge.state == IssuedBadge.STATE_PENDING
    assert credly_badges.posted[0]["issued_at"] == "2026-01-17 09:00:00 +0000"
    assert LearningPathProgress.objects.filter(path=path).count() == 4

    with django_capture_on_commit_callbacks(execute=True):
        again = learning_paths.backfill_path(path)
    assert again == {"courses": 2, "progress_found": 0, "learners_qualified": 0, "badges_queued": 0}
    assert len(credly_badges.posted) == 1


def test_backfill_at_least_one(history, path, credly_badges, django_capture_on_commit_callbacks):
    path.rule, path.required_count = LearningPath.RULE_AT_LEAST, 1
    path.save()
    with django_capture_on_commit_callbacks(execute=True):
        summary = learning_paths.backfill_path(path)
    assert summary["badges_queued"] == 3
    assert IssuedBadge.objects.filter(learning_path=path).count() == 3


def test_command(history, path, credly_badges, django_capture_on_commit_callbacks):
    out = StringIO()
    call_command("credly_backfill_learning_path", "--learning-path", str(path.pk), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert "1 learner(s) meet the rule" in out.getvalue()
    assert IssuedBadge.objects.count() == 0

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("credly_backfill_learning_path", "--learning-path", str(path.pk), stdout=out)
    assert "1 badge(s) queued" in out.getvalue()
    assert IssuedBadge.objects.filter(learning_path=path, state=IssuedBadge.STATE_PENDING).count() == 1


def test_command_refuses_unknown_and_inactive_paths(path):
    with pytest.raises(CommandError, match="No learning path"):
        call_command("credly_backfill_learning_path", "--learning-path", str(path.pk + 100))
    path.is_active = False
    path.save()
    with pytest.raises(CommandError, match="inactive"):
        call_command("credly_backfill_learning_path", "--learning-path", str(path.pk))
