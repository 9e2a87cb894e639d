"""
Completions that overlap meet a learning path's rule once (issue 19, finding 8).

As tests/award_rules/test_milestone_race.py: each thread is a platform transaction that
records the learner's progress in one course of an "every course" path; on MariaDB they
all evaluate the path before any commits (write skew), and the evaluation made again
once each transaction committed issues the path's badge, once. Runs in child pytests on
MariaDB and a SQLite file, as tests/race.py does.
"""
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction
from opaque_keys.edx.keys import CourseKey

from openedx_credly import tasks
from openedx_credly.awarding import learning_paths
from openedx_credly.awarding.achievements import Achievement
from openedx_credly.models import BadgeTemplate, CredlyOrganization, IssuedBadge, LearningPathProgress
from tests.conftest import ORG_ID, TEMPLATE_ID, make_learner
from tests.learning_paths.conftest import make_path
from tests.race import ROOT, race, run_in_child, shares_a_real_database, transactions_overlap

COURSES = 4
START = datetime(2026, 9, 1, tzinfo=timezone.utc)


@pytest.mark.django_db(transaction=True)
def test_overlapping_completions_meet_a_path_once():
    if not shares_a_real_database():
        pytest.skip("needs a database that threads share; test_overlapping_path_completions_in_a_child_run runs it")
    organization = CredlyOrganization.objects.create(name="Academy", organization_id=ORG_ID, api_token="t")
    template = BadgeTemplate.objects.create(organization=organization, template_id=TEMPLATE_ID, name="Specialist")
    keys = [CourseKey.from_string(f"course-v1:Org+P{number}+2026") for number in range(COURSES)]
    path = make_path(template, keys, trigger="passing")
    learner = make_learner()
    overlap = transactions_overlap()
    sent = []

    def complete(number, barrier):
        achievement = Achievement(user_id=learner.pk, course_key=keys[number], trigger="passing",
                                  earned_at=START + timedelta(minutes=number))
        if not overlap:
            barrier.wait(timeout=30)
        with transaction.atomic():  # the platform's transaction around its event
            learning_paths.record_progress_safely(achievement)
            if overlap:
                barrier.wait(timeout=30)  # every transaction evaluated the path; none has committed

    with mock.patch.object(tasks.issue_badge, "apply_async", lambda args, **kwargs: sent.append(args[0])):
        errors = race(complete, COURSES)

    assert not errors, errors
    assert LearningPathProgress.objects.filter(user=learner, path=path).count() == COURSES
    badge = IssuedBadge.objects.get(user=learner, learning_path=path)
    assert badge.earned_at == START + timedelta(minutes=COURSES - 1)
    assert set(sent) == {badge.pk}


@pytest.mark.parametrize("database", ["sqlite-file", "mariadb"])
def test_overlapping_path_completions_in_a_child_run(tmp_path, database):
    """Run the threaded test above in a child pytest on a database that threads really share."""
    run_in_child(f"{Path(__file__).relative_to(ROOT)}::test_overlapping_completions_meet_a_path_once", database,
                 tmp_path, mariadb_test_name=f"test_credly_path_race_{os.getpid()}")
