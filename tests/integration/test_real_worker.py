"""
Events in, badges out, through Redis and real ``celery worker`` processes.

Nothing is eager here: the receivers run in this process (the platform's), the tasks
in two worker processes that share the test database, and Credly is the fake server.
Runs on SQLite (a file) in the main session and again on MariaDB (``test_mariadb.py``).
"""
from collections import Counter

import pytest
from django.db import connection

from openedx_credly.issuing import scheduling
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, IssuedBadge
from tests.conftest import make_learner, send_certificate, send_passing
from tests.integration import harness
from tests.integration.conftest import new_queue_name

pytestmark = pytest.mark.django_db(transaction=True)

LEARNERS = 12
WAIT = 90  # seconds; generous for a loaded CI machine, the tests take a few


@pytest.fixture(scope="module")
def two_workers(make_worker_env, tmp_path_factory):
    """Two solo workers on one queue, shared by this module's tests (starting workers costs seconds)."""
    queue = new_queue_name()
    with harness.WorkerPool(2, make_worker_env(queue), queue, tmp_path_factory.mktemp("workers")) as pool:
        yield pool, queue


def badge_posts(fake, learners):
    """How many POSTs of a badge for ``learners`` Credly answered, by status.

    Filtered by recipient: a request held back by an earlier test's fault may be
    answered (and logged) after the fake was reset for this one.
    """
    emails = {learner.email for learner in learners}
    return Counter(entry["status"] for entry in fake.state.recent_requests(2000)
                   if entry["method"] == "POST" and entry["route"] == "badges_create"
                   and (entry["json"] or {}).get("recipient_email") in emails)


def settled(queue, broker, expected):
    """All ``expected`` badges left the queue and no message is left anywhere."""
    done = IssuedBadge.objects.exclude(state=IssuedBadge.STATE_QUEUED).count() == expected
    return done and broker.idle(queue)


def progress(queue, broker, pool):
    """What a test waiting for ``settled`` saw, for its failure message."""
    states = Counter(IssuedBadge.objects.values_list("state", flat=True))
    queued = list(IssuedBadge.objects.filter(state=IssuedBadge.STATE_QUEUED).values(
        "id", "current_issuance__attempts", "current_issuance__claimed_until", "current_issuance__next_attempt_at",
        "current_issuance__last_error")[:5])
    return (f"badge states {dict(states)}; queued e.g. {queued}; {broker.queue_length(queue)} message(s) waiting, "
            f"{broker.unacked_count()} unacknowledged\n{pool.logs()}")


def test_events_in_badges_out_exactly_once(two_workers, publish_to_workers, credly_org, redis_broker,
                                           passing_mapping, *, course_key):
    """
    Twelve learners pass and get their certificate, and the platform repeats each event:
    every learner gets exactly the course's two badges on Credly, each sent once.
    """
    pool, queue = two_workers
    publish_to_workers(queue)
    organization = passing_mapping.template.organization
    certified = credly_org.state.add_template(organization.organization_id, "Certified")
    CourseBadgeTemplate.objects.create(
        course_id=course_key, trigger=CourseBadgeTemplate.TRIGGER_CERTIFICATE,
        template=BadgeTemplate.objects.create(organization=organization, template_id=certified["id"], name="Certified"),
    )
    learners = [make_learner(username=f"learner{n}", email=f"learner{n}@example.com", first_name="Grace",
                             last_name=f"Hopper{n}") for n in range(LEARNERS)]

    for learner in learners:
        for _repeat in range(2):  # the LMS fires passing-status events again and again
            send_passing(learner, course_key)
            send_certificate(learner, course_key)

    expected = 2 * LEARNERS
    harness.wait_until(lambda: settled(queue, redis_broker, expected), WAIT,
                       lambda: progress(queue, redis_broker, pool))

    on_credly = credly_org.state.all_badges()
    assert len(on_credly) == expected
    pairs = Counter((badge["recipient_email"], badge["badge_template"]["id"]) for badge in on_credly)
    assert set(pairs.values()) == {1}, "a learner got the same badge twice"
    assert {email for email, _template in pairs} == {learner.email for learner in learners}
    # Each badge was POSTed once: no duplicate refused, no retry.
    assert badge_posts(credly_org, learners) == {201: expected}
    rows = list(IssuedBadge.objects.all())
    assert {row.state for row in rows} == {IssuedBadge.STATE_PENDING}
    assert sorted(row.credly_badge_id for row in rows) == sorted(badge["id"] for badge in on_credly)
    assert all(row.accept_url.startswith(credly_org.web_base_url) for row in rows)
    # Both workers took part; repeated events were recorded once, so nothing was sent twice.
    assert all(worker.tasks_received() > 0 for worker in pool.workers), pool.logs()
    assert pool.outcomes()["issued"] == expected


def test_two_workers_racing_for_the_same_badges_issue_each_once(two_workers, publish_to_workers, credly_org,
                                                                redis_broker, passing_mapping, *, course_key):
    """The same badge ids enqueued 25 times each, to two workers at once: one badge each on Credly."""
    pool, queue = two_workers
    publish_to_workers(queue)
    # A slow Credly keeps a claim open while the other worker takes the next copy of the message.
    credly_org.state.set_latency(0.15)
    before = [worker.tasks_received() for worker in pool.workers]
    outcomes_before = pool.outcomes()
    learners = [make_learner(username=f"racer{n}", email=f"racer{n}@example.com") for n in range(3)]
    for learner in learners:
        send_passing(learner, course_key)
    badge_ids = list(IssuedBadge.objects.values_list("id", flat=True))
    assert len(badge_ids) == 3
    for _copy in range(25):
        scheduling.enqueue(scheduling.ISSUE_BADGE, badge_ids)

    harness.wait_until(lambda: settled(queue, redis_broker, 3), WAIT, lambda: progress(queue, redis_broker, pool))

    on_credly = credly_org.state.all_badges()
    assert sorted(b["recipient_email"] for b in on_credly) == sorted(learner.email for learner in learners)
    assert badge_posts(credly_org, learners) == {201: 3}
    assert credly_org.state.stats()["duplicates_refused"] == 0
    assert set(IssuedBadge.objects.values_list("state", flat=True)) == {IssuedBadge.STATE_PENDING}
    assert all(row.current_issuance.attempts == 1 for row in IssuedBadge.objects.select_related("current_issuance"))
    received = [worker.tasks_received() - seen for worker, seen in zip(pool.workers, before)]
    assert sum(received) == 3 + 75 and all(received), f"messages per worker: {received}"
    # Every copy but one per badge found the badge claimed or sent already.
    assert pool.outcomes() - outcomes_before == Counter(issued=3, not_claimed=75)


def test_the_workers_share_this_test_database(shared_database):
    """A guard on the set-up itself: workers would see nothing in an in-memory database."""
    if connection.vendor == "sqlite":
        assert shared_database["DEVHOST_SQLITE_PATH"].endswith(".sqlite3")
    else:
        assert shared_database["DEVHOST_DB"] == "mysql"
        assert shared_database["DEVHOST_DB_NAME"] == connection.settings_dict["NAME"]
