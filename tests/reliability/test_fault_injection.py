"""
One scenario, every fault at once: badges are still issued exactly once.

CREDLY_FAULT_LEARNERS learners (default 1,000) earn a certificate, half of them in a
course whose template refuses duplicates, half in one whose template allows them (only
our own look-up keeps those to one badge); each achievement's event is delivered three
times, all shuffled together, while two real worker processes send the badges to the
fake Credly, which meanwhile:

* answers 20% of all API calls with a 500;
* answers bursts of 429 with ``Retry-After``;
* lets some calls time out, including the nasty cases where Credly creates the badge and
  the answer never arrives (``after_commit_timeout``) or the connection drops
  (``after_commit_drop``), or answers 201 without the badge's id;
* refuses the organization's credentials for a while (401) until an operator restores
  them and reconnects (``connection_lost_at`` cleared and the waiting badges enqueued, as
  the admin does on save);

and on our side one worker is SIGKILLed mid-run and restarted, the Redis broker is
restarted (losing every message it held), and an operator keeps pressing "Retry" on
queued badges in the admin. The periodic sweeper runs every few seconds, as Celery beat
would run it.

At the end: exactly one badge per learner on the fake, none duplicated, every
``IssuedBadge`` pending with its Credly id, the error log holding the expected entries
and no secret.
"""
import os
import random
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.signals import CERTIFICATE_CREATED

from openedx_credly import tasks
from openedx_credly.issuing import issuance, scheduling
from openedx_credly.models import (
    BadgeIssuance,
    BadgeTemplate,
    CourseBadgeTemplate,
    CredlyErrorLog,
    CredlyOrganization,
    IssuedBadge,
)
from tests.conftest import certificate_data, events_metadata, require_service
from tests.integration import harness

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEARNERS = int(os.environ.get("CREDLY_FAULT_LEARNERS", "1000"))
DELIVERIES = 3
ORG_ID = "f0f0f0f0-1111-2222-3333-444444444444"
TEMPLATE_ID = "fa017000-aaaa-bbbb-cccc-dddddddddddd"
DUPLICATES_TEMPLATE_ID = "fa017000-aaaa-bbbb-cccc-eeeeeeeeeeee"
TOKEN = "fault-token-never-logged-7f3a9c"
COURSE = "course-v1:Faults+F101+2026"
DUPLICATES_COURSE = "course-v1:Faults+F102+2026"
RETRY_EVERY = 2.0  # seconds between an operator's clicks on "Retry"
SWEEP_EVERY = 3.0  # seconds; beat runs it every 5 minutes in production
GRACE = 3  # CREDLY_QUEUE_GRACE_PERIOD of this scenario
TIMEOUT = float(os.environ.get("CREDLY_FAULT_TIMEOUT", "600"))
WORKER_SETTINGS = {
    "CREDLY_REQUEST_TIMEOUT": "1",  # a fault that sleeps 3 s is a timeout for us
    "CREDLY_RETRY_BACKOFF_MAX": "2",
    "CREDLY_MAX_ATTEMPTS": "100",
    "CREDLY_RATE_LIMIT_PAUSE": "1",
    "CREDLY_QUEUE_GRACE_PERIOD": str(GRACE),
}


class Scenario:
    """The faults, fired once each as the fake's badge count passes a share of the learners."""

    def __init__(self, credly, pool, redis, organization, figures):
        self.credly, self.pool, self.redis, self.organization = credly, pool, redis, organization
        self.figures = figures
        self.fired = set()
        self.events = []  # (seconds since start, what happened)
        self.started = time.monotonic()
        self.last_sweep = 0.0
        self.last_retry = 0.0
        self.rng = random.Random(11)
        self.killed_at = None
        self.revoked_at = None
        self.restored = False

    def note(self, text):
        self.events.append((round(time.monotonic() - self.started, 1), text))

    def once(self, name, share, issued):
        if name in self.fired or issued < share * LEARNERS:
            return False
        self.fired.add(name)
        return True

    def tick(self):
        """Fire what is due, and sweep the queue as beat would."""
        state = self.credly.state
        issued = state.stats()["badges_stored"]
        if self.once("429 burst", 0.05, issued):
            state.add_faults({"status": 429, "retry_after": 1, "count": 8})
            self.note("429 burst (8, Retry-After: 1)")
        if self.once("timeouts", 0.15, issued):
            state.add_faults({"timeout": 3, "count": 4},
                             {"after_commit_timeout": 3, "count": 4, "method": "POST", "path_contains": "/badges"},
                             {"after_commit_drop": True, "count": 4, "method": "POST", "path_contains": "/badges"},
                             {"after_commit_without_id": True, "count": 4, "method": "POST"})
            self.note("4 timeouts, and 12 badges created whose answer was lost, dropped or had no id")
        if self.once("kill", 0.25, issued):
            self.pool[0].kill()
            self.killed_at = time.monotonic()
            self.note(f"SIGKILL worker {self.pool[0].name}")
        if self.killed_at and time.monotonic() - self.killed_at > 2 and not self.pool[0].alive:
            self.pool[0].restart(wait=False)
            self.note("worker restarted")
        if self.once("revoke", 0.40, issued):
            state.revoke_credentials(ORG_ID)
            self.revoked_at = time.monotonic()
            self.note("credentials revoked on Credly (401)")
        if self.revoked_at and not self.restored:
            lost = CredlyOrganization.objects.filter(pk=self.organization.pk, connection_lost_at__isnull=False)
            if lost.exists() and time.monotonic() - self.revoked_at > 3:
                state.restore_credentials(ORG_ID)
                # The operator reconnects: the admin form clears the flag, save_model resumes the queue.
                CredlyOrganization.objects.filter(pk=self.organization.pk).update(
                    connection_lost_at=None, connection_lost_reason="")
                self._safely(lambda: scheduling.enqueue(
                    scheduling.ISSUE_BADGE, issuance.waiting_badge_ids(self.organization.pk)), "resume")
                self.restored = True
                self.note("credentials restored, operator reconnected")
        if self.once("429 burst 2", 0.55, issued):
            state.add_faults({"status": 429, "retry_after": 2, "count": 5})
            self.note("429 burst (5, Retry-After: 2)")
        if self.once("redis", 0.70, issued):
            self.redis.restart(down_for=1.0)
            self.note("Redis restarted: every message it held is gone")
        if time.monotonic() - self.last_retry > RETRY_EVERY:
            self.last_retry = time.monotonic()
            self._safely(self._admin_retry, "admin retry")
        if time.monotonic() - self.last_sweep > SWEEP_EVERY:
            self.last_sweep = time.monotonic()
            count = self._safely(tasks.process_queue, "sweep")
            self.figures["sweeps"] += 1
            self.figures["re-enqueued by the sweeper"] += count or 0

    def _admin_retry(self):
        """An operator selects a few queued or failed badges and presses "Retry", as the admin action does."""
        ids = list(IssuedBadge.objects.filter(state__in=("queued", "failed")).values_list("id", flat=True)[:200])
        if ids:
            retried, busy = issuance.retry(self.rng.sample(ids, min(5, len(ids))))
            self.figures["admin retries"] += len(retried)
            self.figures["admin retries left to a busy worker"] += len(busy)
            scheduling.enqueue(scheduling.ISSUE_BADGE, retried)
        return len(ids)

    def _safely(self, call, what):
        """Beat logs a failed run and tries again next time; so do we (Redis may be down)."""
        try:
            return call()
        except Exception as error:  # pylint: disable=broad-except
            self.figures[f"{what} failed (broker down)"] += 1
            self.note(f"{what} failed: {type(error).__name__}")
            return 0


@pytest.fixture
def scenario_redis(private_redis):
    require_service(harness.redis_available(private_redis.url), "redis-server could not be started")
    return private_redis


def test_every_fault_at_once_issues_each_badge_exactly_once(  # pylint: disable=too-many-locals,too-many-statements
    use_fake_credly, scenario_redis, shared_database, settings, tmp_path, caplog,
):
    fake = use_fake_credly
    queue = f"credly-faults-{os.getpid()}"
    settings.CREDLY_CELERY_QUEUE = queue
    settings.CREDLY_QUEUE_GRACE_PERIOD = GRACE
    fake.state.add_organization("Fault Academy", id=ORG_ID, token=TOKEN)
    fake.state.add_template(ORG_ID, "Fault Finisher", id=TEMPLATE_ID)
    organization = CredlyOrganization.objects.create(name="Fault Academy", organization_id=ORG_ID, api_token=TOKEN)
    fake.state.add_template(ORG_ID, "Fault Repeater", id=DUPLICATES_TEMPLATE_ID, allow_duplicate_badges=True)
    courses = []
    for template_id, name, course, duplicates in ((TEMPLATE_ID, "Fault Finisher", COURSE, False),
                                                  (DUPLICATES_TEMPLATE_ID, "Fault Repeater", DUPLICATES_COURSE, True)):
        template = BadgeTemplate.objects.create(organization=organization, template_id=template_id, name=name,
                                                allow_duplicate_badges=duplicates)
        courses.append(CourseKey.from_string(course))
        CourseBadgeTemplate.objects.create(course_id=courses[-1], template=template,
                                           trigger=CourseBadgeTemplate.TRIGGER_CERTIFICATE)
    user_model = get_user_model()
    user_model.objects.bulk_create([
        user_model(username=f"fault{n}", email=f"fault{n}@example.com", first_name="Fault", last_name=f"L{n}",
                   password="!") for n in range(LEARNERS)
    ])
    learners = list(user_model.objects.filter(username__startswith="fault"))
    earned = datetime(2026, 11, 25, 14, 3, tzinfo=timezone.utc)
    deliveries = [(learner, courses[n % 2],
                   events_metadata(CERTIFICATE_CREATED.event_type, when=earned + timedelta(seconds=n)))
                  for n, learner in enumerate(learners)] * DELIVERIES
    random.Random(7).shuffle(deliveries)

    fake.state.add_faults({"status": 500, "probability": 0.2})
    env = harness.worker_environment(broker_url=scenario_redis.url, credly=fake, queue=queue,
                                     database=shared_database, extra=WORKER_SETTINGS)
    figures = Counter()
    started = time.monotonic()
    with harness.WorkerPool(2, env=env, queue=queue, log_dir=tmp_path, prefix="credly-faults") as pool, \
            harness.publishing_to(scenario_redis.url):
        scenario = Scenario(fake, pool, scenario_redis, organization, figures)
        for number, (learner, course_key, metadata) in enumerate(deliveries):
            results = CERTIFICATE_CREATED.send_event_with_custom_metadata(
                metadata, certificate=certificate_data(learner, course_key))
            # The signal always returns normally: no receiver raised into the platform.
            assert not any(isinstance(result, Exception) for _receiver, result in results)
            if number % 50 == 0:
                scenario.tick()
        events_sent = time.monotonic() - started

        def done():
            scenario.tick()
            return (scenario.restored and scenario.redis.restarts
                    and not IssuedBadge.objects.filter(state=IssuedBadge.STATE_QUEUED).exists())

        try:
            harness.wait_until(done, TIMEOUT, lambda: (
                f"every badge to be issued; states "
                f"{Counter(IssuedBadge.objects.values_list('state', flat=True))}, fired {scenario.fired}, "
                f"events {scenario.events}\n{pool.logs()}"), interval=0.5)
        finally:
            elapsed = time.monotonic() - started
            outcomes = pool.outcomes()
            worker_logs = "\n".join(worker.log_text() for worker in pool.workers)

    stats = fake.state.stats()
    on_credly = fake.state.all_badges()
    badges = list(IssuedBadge.objects.all())
    attempts = BadgeIssuance.objects.aggregate(total=Sum("attempts"))["total"]
    entries = list(CredlyErrorLog.objects.all())
    print(f"\nFault injection, {LEARNERS} learners x {DELIVERIES} deliveries of their event, 2 workers:")
    print(f"  total {elapsed:.1f} s (events sent in {events_sent:.1f} s)")
    print(f"  badges on the fake {len(on_credly)}, requests {stats['requests_total']}, "
          f"by status {dict(sorted(stats['by_status'].items()))}")
    print(f"  faults injected {stats['faults_injected']}, 429s {stats['responses_429']}, "
          f"401s {stats['responses_401']}, 500s {stats['by_status'].get('500', 0)}, "
          f"timeouts {stats['by_status'].get('504', 0)} (+ 12 answers lost, dropped or without id), "
          f"duplicates refused by the fake {stats['duplicates_refused']}")
    print(f"  attempts recorded {attempts} for {len(badges)} badges; task outcomes {dict(outcomes)}")
    print(f"  error log {dict(Counter(entry.kind for entry in entries))}; {dict(figures)}")
    print(f"  timeline {scenario.events}")

    # Exactly one badge per learner on Credly, none twice, with either template.
    assert len(on_credly) == LEARNERS
    assert Counter(badge["badge_template"]["id"] for badge in on_credly) == {
        TEMPLATE_ID: (LEARNERS + 1) // 2, DUPLICATES_TEMPLATE_ID: LEARNERS // 2}
    per_earner = Counter((badge["recipient_email"], badge["badge_template"]["id"]) for badge in on_credly)
    assert max(per_earner.values()) == 1
    # Every IssuedBadge pending on our side, with the id of its badge on Credly.
    assert len(badges) == LEARNERS
    assert {badge.state for badge in badges} == {IssuedBadge.STATE_PENDING}
    assert {badge.credly_badge_id for badge in badges} == {badge["id"] for badge in on_credly}
    # Every fault really happened.
    assert scenario.fired == {"429 burst", "timeouts", "kill", "revoke", "429 burst 2", "redis"}
    assert stats["responses_429"] >= 13 and stats["responses_401"] >= 1
    assert stats["by_status"].get("500", 0) >= 0.1 * LEARNERS
    assert pool[0].starts == 2
    assert figures["admin retries"] >= 1
    # The error log: the connection expired once, the rate limit was reported, nothing failed.
    kinds = Counter(entry.kind for entry in entries)
    assert kinds[CredlyErrorLog.KIND_CONNECTION_EXPIRED] == 1
    assert kinds[CredlyErrorLog.KIND_RATE_LIMITED] >= 1
    assert kinds[CredlyErrorLog.KIND_ISSUANCE_FAILED] == 0
    # No secret anywhere: error log, this process's log, the workers' logs.
    for text in [f"{entry.error} {entry.details}" for entry in entries] + [caplog.text, worker_logs]:
        assert TOKEN not in text
