"""
Overlapping completions reach a milestone and a learning path once, through Redis and a real worker.

Four threads of this process (the platform) each record one course completion of the same
learner in a transaction of their own; the re-count after each commit goes through Redis to
a real ``celery worker``, which awards and then sends the badges to the fake Credly. On
MariaDB (``test_mariadb.py`` runs this file there) the transactions meet at a barrier after
counting and before committing, so each counted its own completion only (write skew, issue
19 finding 8): only the worker's re-count can award. On the SQLite file of the main session
the transactions take turns (SQLite would refuse overlapping writers), as its write lock
makes them do anyway.
"""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from django.db import transaction
from opaque_keys.edx.keys import CourseKey

from openedx_credly.awarding import recording
from openedx_credly.awarding.achievements import Achievement
from openedx_credly.models import BadgeTemplate, IssuedBadge, LearningPath, LearningPathCourse, Milestone
from tests.conftest import make_learner
from tests.integration import harness
from tests.integration.conftest import new_queue_name
from tests.race import race, transactions_overlap

pytestmark = pytest.mark.django_db(transaction=True)

COURSES = 4
START = datetime(2026, 9, 1, tzinfo=timezone.utc)
WAIT = 90


def test_overlapping_completions_are_counted_once_by_a_real_worker(make_worker_env, publish_to_workers, credly_org,
                                                                   redis_broker, *, organization, template, tmp_path):
    queue = new_queue_name()
    path_template = credly_org.state.add_template(organization.organization_id, "Specialist")
    keys = [CourseKey.from_string(f"course-v1:Org+W{number}+2026") for number in range(COURSES)]
    milestone = Milestone.objects.create(name="Finisher", template=template, kind=Milestone.KIND_COMPLETED,
                                         required_count=COURSES)
    path = LearningPath.objects.create(name="Specialist", rule=LearningPath.RULE_ALL,
                                       template=BadgeTemplate.objects.create(organization=organization,
                                                                             template_id=path_template["id"],
                                                                             name="Specialist"))
    for key in keys:
        LearningPathCourse.objects.create(path=path, course_id=key, trigger="passing")
    learner = make_learner()
    overlap = transactions_overlap()
    turns = threading.Lock()

    def complete(number, barrier):
        achievement = Achievement(user_id=learner.pk, course_key=keys[number], trigger="passing",
                                  earned_at=START + timedelta(minutes=number))
        barrier.wait(timeout=30)
        if overlap:
            with transaction.atomic():  # the platform's transaction around its event
                recording.record_achievement(achievement)
                barrier.wait(timeout=30)  # every transaction counted; none has committed
        else:
            with turns, transaction.atomic():
                recording.record_achievement(achievement)

    with harness.WorkerPool(1, make_worker_env(queue), queue, tmp_path) as pool:
        publish_to_workers(queue)
        assert not race(complete, COURSES)

        def sent():
            rows = IssuedBadge.objects.filter(user=learner).exclude(state=IssuedBadge.STATE_QUEUED)
            return rows.count() == 2 and redis_broker.idle(queue)

        harness.wait_until(sent, WAIT, pool.logs)

    rows = {row.template_id: row for row in IssuedBadge.objects.filter(user=learner)}
    assert set(rows) == {milestone.template_id, path.template_id}
    assert rows[milestone.template_id].milestone_id == milestone.pk
    assert rows[path.template_id].learning_path_id == path.pk
    assert {row.earned_at for row in rows.values()} == {START + timedelta(minutes=COURSES - 1)}
    on_credly = [badge for badge in credly_org.state.all_badges() if badge["recipient_email"] == learner.email]
    assert sorted(badge["id"] for badge in on_credly) == sorted(row.credly_badge_id for row in rows.values())
    assert pool.outcomes()["issued"] == 2
    if overlap:
        # No transaction saw the four completions: the worker's re-counts awarded both badges.
        assert "reevaluate_learner_milestones" in pool.logs() and "reevaluate_learner_paths" in pool.logs()
