"""
Completions that overlap reach a milestone once (issue 19, finding 8).

Each thread is a platform transaction that records one course completion of the same
learner. On MariaDB the threads meet at a barrier after counting and before committing:
each counted its own completion and not the others' (write skew), so none reaches N in
its transaction; the count made again once the transaction committed awards the badge,
once. On a SQLite file the write lock makes the transactions take turns, so the last one
counts them all. Runs in child pytests on both, as tests/race.py does.
"""
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction
from opaque_keys.edx.keys import CourseKey

from openedx_credly import tasks
from openedx_credly.awarding import milestones
from openedx_credly.awarding.achievements import Achievement
from openedx_credly.models import BadgeTemplate, CourseCompletionRecord, CredlyOrganization, IssuedBadge, Milestone
from tests.conftest import ORG_ID, TEMPLATE_ID, make_learner
from tests.race import ROOT, race, run_in_child, shares_a_real_database, transactions_overlap

COURSES = 4
START = datetime(2026, 9, 1, tzinfo=timezone.utc)


@pytest.mark.django_db(transaction=True)
def test_overlapping_completions_reach_a_milestone_once():
    if not shares_a_real_database():
        pytest.skip("needs a database that threads share; test_overlapping_completions_in_a_child_run runs it")
    organization = CredlyOrganization.objects.create(name="Academy", organization_id=ORG_ID, api_token="t")
    template = BadgeTemplate.objects.create(organization=organization, template_id=TEMPLATE_ID, name="Finisher")
    milestone = Milestone.objects.create(name="Finisher", template=template, kind=Milestone.KIND_COMPLETED,
                                         required_count=COURSES)
    learner = make_learner()
    overlap = transactions_overlap()
    sent = []

    def complete(number, barrier):
        achievement = Achievement(user_id=learner.pk, course_key=CourseKey.from_string(f"course-v1:Org+C{number}+2026"),
                                  trigger="passing", earned_at=START + timedelta(minutes=number))
        if not overlap:
            barrier.wait(timeout=30)
        with transaction.atomic():  # the platform's transaction around its event
            milestones.record_completion_safely(achievement)
            if overlap:
                barrier.wait(timeout=30)  # every transaction counted; none has committed

    with mock.patch.object(tasks.issue_badge, "apply_async", lambda args, **kwargs: sent.append(args[0])):
        errors = race(complete, COURSES)

    assert not errors, errors
    assert CourseCompletionRecord.objects.filter(user=learner).count() == COURSES
    badge = IssuedBadge.objects.get(user=learner, milestone=milestone)
    assert badge.earned_at == START + timedelta(minutes=COURSES - 1)
    assert set(sent) == {badge.pk}


@pytest.mark.parametrize("database", ["sqlite-file", "mariadb"])
def test_overlapping_completions_in_a_child_run(tmp_path, database):
    """Run the threaded test above in a child pytest on a database that threads really share."""
    run_in_child(f"{Path(__file__).relative_to(ROOT)}::test_overlapping_completions_reach_a_milestone_once", database,
                 tmp_path, mariadb_test_name=f"test_credly_milestone_race_{os.getpid()}")
