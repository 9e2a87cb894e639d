"""
A worker killed with SIGKILL while Credly is creating a badge: after a restart and a
sweep of the queue, every badge is issued and none twice.

The fake Credly stores the first badge and then holds its answer back
(``after_commit_timeout``), so the kill lands exactly between "Credly has it" and
"we recorded it": the hardest moment for exactly-once.
"""
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from openedx_credly import tasks
from openedx_credly.models import BadgeIssuance, IssuedBadge
from tests.conftest import make_learner, send_passing
from tests.integration import harness
from tests.integration.conftest import new_queue_name

pytestmark = pytest.mark.django_db(transaction=True)

LEARNERS = 4
WAIT = 90


def test_worker_killed_mid_issue_then_restarted_issues_every_badge_once(
    make_worker_env, publish_to_workers, credly_org, redis_broker, passing_mapping, *, course_key, tmp_path,
):
    queue = new_queue_name()
    publish_to_workers(queue)
    # Prefork: the task runs in a pool child, and the kill must take the whole process group.
    worker = harness.CeleryWorker("credly-it-killed", make_worker_env(queue), queue, tmp_path / "worker.log",
                                  pool="prefork")
    worker.start()
    try:
        credly_org.state.add_faults({"after_commit_timeout": 30, "method": "POST", "path_contains": "/badges"})
        learners = [make_learner(username=f"victim{n}", email=f"victim{n}@example.com") for n in range(LEARNERS)]
        for learner in learners:
            send_passing(learner, course_key)

        harness.wait_until(lambda: len(credly_org.state.all_badges()) == 1, 30,
                           lambda: f"Credly to store the first badge\n{worker.log_text()}")
        in_flight = BadgeIssuance.objects.get(claimed_until__isnull=False)
        worker.kill()  # SIGKILL, mid-call: Credly has the badge, we never heard back

        assert not worker.alive
        # Its message was never acknowledged: Redis keeps it until the visibility timeout (an hour here).
        assert redis_broker.unacked_count(queue) >= 1
        assert IssuedBadge.objects.filter(state=IssuedBadge.STATE_QUEUED).count() == LEARNERS
        in_flight.refresh_from_db()
        assert in_flight.attempts == 1 and in_flight.claimed_until > timezone.now()
        assert in_flight.outcome_unclear  # set before the POST whose answer never came

        worker.restart()  # as a supervisor would
        # The dead worker's claim is a lease: it runs out after issuance.lease() (a minute or more).
        # Rather than wait, move its end into the past, then run the periodic sweeper.
        BadgeIssuance.objects.filter(pk=in_flight.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
        assert tasks.process_queue() >= 1  # at least the badge of the killed worker goes back to the queue

        def all_issued():
            left = IssuedBadge.objects.filter(state=IssuedBadge.STATE_QUEUED).exists()
            return not left and redis_broker.queue_length(queue) == 0

        harness.wait_until(all_issued, WAIT, lambda: f"every badge issued\n{worker.log_text()}")
    finally:
        worker.stop()

    on_credly = credly_org.state.all_badges()
    assert sorted(badge["recipient_email"] for badge in on_credly) == sorted(learner.email for learner in learners)
    rows = {row.recipient_email: row for row in IssuedBadge.objects.all()}
    assert {row.state for row in rows.values()} == {IssuedBadge.STATE_PENDING}
    assert {badge["id"] for badge in on_credly} == {row.credly_badge_id for row in rows.values()}
    # The killed attempt's outcome was unclear: the next attempt looked on Credly first, found the
    # badge and recorded it, without POSTing again.
    stats = credly_org.state.stats()
    assert (stats["badges_issued"], stats["duplicates_refused"]) == (LEARNERS, 0)
    # (The killed call itself is still held back by the fault, so the request log shows one 201 less.)
    answered = Counter(entry["status"] for entry in credly_org.state.recent_requests(2000)
                       if entry["method"] == "POST" and entry["route"] == "badges_create")
    assert answered == {201: LEARNERS - 1}
    in_flight.refresh_from_db()
    # Two attempts: the killed POST, then the look-up that found its badge (a look-up counts, issue 19).
    assert in_flight.attempts == 2 and not in_flight.outcome_unclear
    assert in_flight.credly_badge_id == in_flight.badge.credly_badge_id
    assert worker.starts == 2
