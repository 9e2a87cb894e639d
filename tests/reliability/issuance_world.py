"""
The world of the issuance model (``test_issuance_model.py``): the system under test, what the
platform says, and a simulated broker; each step of the walk is a method of ``World``.

``tests/reliability/issuance_faults.py`` extends it with the faults and actors of issue 19.
"""
from collections import Counter, deque
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.signals import CERTIFICATE_CHANGED, CERTIFICATE_CREATED, CERTIFICATE_REVOKED

from openedx_credly.credly import CredlyClient, CredlyConnectionError
from openedx_credly.issuing import delivery, issuance, revoking, scheduling
from openedx_credly.models import (
    BadgeIssuance,
    BadgeTemplate,
    CourseBadgeTemplate,
    CredlyErrorLog,
    CredlyOrganization,
    IssuedBadge,
    LearningPathProgress,
)
from openedx_credly.syncing import refresh, webhooks
from tests.conftest import ORG_ID, TOKEN, certificate_data

LIVE = ("pending", "accepted")
REVOKE_MAX_RETRIES = 8  # as the revoke_badge task


class World:  # pylint: disable=too-many-instance-attributes
    """The system under test, the model of what the platform says, and the simulated broker."""

    def __init__(self, fake, capture, rng, organization, achievements):
        self.fake, self.capture, self.rng = fake, capture, rng
        self.organization = organization
        self.achievements = achievements  # (learner, course key, template id on Credly)
        self.holds = {}  # (user id, course) -> whether the learner holds the certificate now
        self.broker = deque()  # (task name, id, retries)
        self.trace = deque(maxlen=40)
        self.counts = Counter()
        self.gave_up = set()  # badge ids whose revocation the task gave up on
        self.intercepting = False

    # ------------------------------------------------------------ the broker

    def enqueue(self, task_name, ids):
        """``scheduling.enqueue``, into the simulated broker."""
        for each in ids:
            self.broker.append((task_name, each, 0))
        return len(list(ids))

    def run_message(self, message):
        """A worker runs one message as the task would, retries going back into the broker."""
        task_name, badge_id, retries = message
        with self.capture(execute=True):
            if task_name == scheduling.ISSUE_BADGE:
                result = delivery.deliver(badge_id)
                if result.retry_in is not None and result.retry_in <= 600:
                    self.broker.append((task_name, badge_id, retries + 1))
            elif task_name == scheduling.REVOKE_BADGE:
                result = revoking.revoke(badge_id, attempt=retries)
                if result.retry_in is not None:
                    if retries < REVOKE_MAX_RETRIES:
                        self.broker.append((task_name, badge_id, retries + 1))
                    else:
                        revoking.give_up(badge_id, result.outcome)
                        self.gave_up.add(badge_id)
            else:
                raise AssertionError(f"unexpected task {task_name}")
        self.counts[f"{task_name.rsplit('.', 1)[1]}: {result.outcome}"] += 1

    # ------------------------------------------------------------ actions

    def earn(self):
        learner, course, _template = self.rng.choice(self.achievements)
        with self.capture(execute=True):
            if self.rng.random() < 0.4:
                with transaction.atomic():  # one certificate save in the LMS sends both
                    CERTIFICATE_CHANGED.send_event(certificate=certificate_data(learner, course))
                    CERTIFICATE_CREATED.send_event(certificate=certificate_data(learner, course))
            else:
                CERTIFICATE_CREATED.send_event(certificate=certificate_data(learner, course))
        self.holds[(learner.pk, str(course))] = True
        return f"earn {learner.username} {course.course}"

    def revoke_certificate(self, achievement=None):
        learner, course, _template = achievement or self.rng.choice(self.achievements)
        with self.capture(execute=True):
            CERTIFICATE_REVOKED.send_event(certificate=certificate_data(learner, course, status="notpassing"))
        self.holds[(learner.pk, str(course))] = False
        return f"revoke certificate {learner.username} {course.course}"

    def work(self):
        if not self.broker:
            return "work: broker empty"
        index = self.rng.randrange(len(self.broker))
        self.broker.rotate(-index)
        message = self.broker.popleft()
        self.run_message(message)
        return f"work {message[0].rsplit('.', 1)[1]} {message[1]}"

    def fault(self):
        badges = f"organizations/{ORG_ID}/badges"
        spec = self.rng.choice([
            {"after_commit_drop": True, "method": "POST"},
            {"status": 504, "method": "POST"},
            {"status": 500},
            {"status": 503, "method": "GET"},
            {"status": 429, "retry_after": 0},
            {"status": 401},
            {"after_commit_without_id": True, "method": "POST"},
            {"redirect_to": f"{self.fake.api_base_url}{badges}", "status": 307, "method": "POST"},
            {"timeout": 0.4, "method": "POST"},
            {"after_commit_timeout": 0.4, "method": "POST"},
        ])
        self.fake.state.add_faults(spec)
        return f"fault {spec}"

    def reconnect(self):
        """An operator reconnects a disconnected organization (the admin's save)."""
        if CredlyOrganization.objects.filter(pk=self.organization.pk, connection_lost_at__isnull=False).update(
                connection_lost_at=None, connection_lost_reason=""):
            self.enqueue(scheduling.ISSUE_BADGE, issuance.waiting_badge_ids(self.organization.pk))
            return "operator reconnects"
        return "reconnect: nothing to do"

    def webhook(self):
        """Credly changes a badge (the earner accepts it) and its webhook event is applied."""
        badges = self.fake.state.all_badges()
        if not badges:
            return "webhook: no badge"
        data = self.rng.choice(badges)
        if data["state"] == "pending" and self.rng.random() < 0.7:
            data = self.fake.state.accept_badge(data["id"])
        outcome = webhooks.apply_event(self.organization, "badge.state.changed", {"badge": data})
        return f"webhook {data['state']} {data['id'][:8]}: {outcome}"

    def expire_leases(self):
        BadgeIssuance.objects.filter(claimed_until__isnull=False).update(
            claimed_until=timezone.now() - timedelta(seconds=1))
        return "leases run out"

    def admin_retry(self):
        ids = list(IssuedBadge.objects.filter(state__in=("failed", "queued")).values_list("id", flat=True))
        if not ids:
            return "admin retry: nothing"
        chosen = self.rng.sample(ids, min(len(ids), self.rng.randint(1, 3)))
        retried, _busy = issuance.retry(chosen)
        self.enqueue(scheduling.ISSUE_BADGE, retried)
        return f"admin retry {chosen}"

    def sweep(self):
        due = issuance.due_badge_ids()
        self.enqueue(scheduling.ISSUE_BADGE, due)
        return f"sweeper {due}"

    def time_passes(self):
        BadgeIssuance.objects.filter(state="queued").update(next_attempt_at=None)
        CredlyOrganization.objects.update(issuing_paused_until=None)
        return "time passes"

    def refresh_pending(self):
        return f"refresh {dict(refresh.refresh_pending(self.organization))}"

    def restore_credentials(self):
        self.fake.state.restore_credentials(ORG_ID)
        return "credentials restored"

    def concurrent(self):
        """A POST on its way while the lease runs out and someone else acts on the same badge."""
        ids = list(IssuedBadge.objects.filter(state="queued").values_list("id", flat=True))
        if not ids or self.intercepting:
            return "concurrent: nothing queued"
        badge_id = self.rng.choice(ids)
        meanwhile = self.rng.choice(["second worker", "revoke", "admin retry", "sweeper", "webhook"])
        lose_answer = self.rng.random() < 0.5
        world = self
        real_issue = CredlyClient.issue_badge

        def interleaved(client, payload):
            data = real_issue(client, payload)
            if world.intercepting:
                return data
            world.intercepting = True
            try:
                world.expire_leases()
                if meanwhile == "second worker":
                    world.run_message((scheduling.ISSUE_BADGE, badge_id, 0))
                elif meanwhile == "revoke":
                    badge = IssuedBadge.objects.select_related("user").get(pk=badge_id)
                    match = [each for each in world.achievements
                             if each[0].pk == badge.user_id and str(each[1]) == str(badge.course_id)]
                    world.revoke_certificate(match[0])
                    while any(message[0] == scheduling.REVOKE_BADGE for message in world.broker):
                        message = next(m for m in world.broker if m[0] == scheduling.REVOKE_BADGE)
                        world.broker.remove(message)
                        world.run_message(message)
                elif meanwhile == "admin retry":
                    retried, _busy = issuance.retry([badge_id])
                    world.enqueue(scheduling.ISSUE_BADGE, retried)
                elif meanwhile == "sweeper":
                    world.sweep()
                else:
                    world.webhook()
            finally:
                world.intercepting = False
            if lose_answer:
                raise CredlyConnectionError("Credly request failed (POST badges): ConnectionError")
            return data

        original = CredlyClient.issue_badge
        CredlyClient.issue_badge = interleaved
        try:
            self.run_message((scheduling.ISSUE_BADGE, badge_id, 0))
        finally:
            CredlyClient.issue_badge = original
        return f"concurrent {badge_id}: {meanwhile}, answer {'lost' if lose_answer else 'read'}"

    # ------------------------------------------------------------ invariants

    def check_always(self):
        on_credly = {badge["id"]: badge for badge in self.fake.state.all_badges()}
        live = Counter((badge["issuer_earner_id"], badge["badge_template"]["id"])
                       for badge in on_credly.values() if badge["state"] in LIVE)
        assert max(live.values(), default=0) <= 1, f"two live badges for one achievement: {live}"
        for model in (IssuedBadge, BadgeIssuance):
            claimed = list(model.objects.exclude(credly_badge_id="").values_list("credly_badge_id", flat=True))
            assert set(claimed) <= set(on_credly), f"{model.__name__} claims a Credly id Credly does not have"
        held = Counter(IssuedBadge.objects.exclude(credly_badge_id="").values_list("credly_badge_id", flat=True))
        assert max(held.values(), default=0) <= 1, f"two rows claim one Credly badge: {held}"

    def settle(self):
        """Faults stop; workers, the sweeper and an operator run until nothing is left to do."""
        self.fake.state.clear_faults()
        self.restore_credentials()
        for _round in range(60):
            self.reconnect()
            self.expire_leases()
            self.time_passes()
            failed = list(IssuedBadge.objects.filter(state="failed").values_list("id", flat=True))
            if failed:  # the operator reads the error log and retries
                retried, _busy = issuance.retry(failed)
                self.enqueue(scheduling.ISSUE_BADGE, retried)
            self.sweep()
            while self.broker:
                self.run_message(self.broker.popleft())
                self.check_always()
            if not IssuedBadge.objects.filter(state__in=("queued", "failed")).exists() and not self.broker:
                return
        raise AssertionError("the system did not settle")

    def check_settled(self):
        assert not self.broker, "messages left in the broker"
        assert not IssuedBadge.objects.filter(state="queued").exists(), "a badge stayed queued"
        on_credly = self.fake.state.all_badges()
        for learner, course, template_id in self.achievements:
            if (learner.pk, str(course)) not in self.holds:
                continue
            earner = f"openedx-user-{learner.pk}"
            live = [badge for badge in on_credly if badge["issuer_earner_id"] == earner
                    and badge["badge_template"]["id"] == template_id and badge["state"] in LIVE]
            row = IssuedBadge.objects.filter(user=learner, course_id=course).first()
            if row is None:  # taken back before it was ever earned
                assert not self.holds[(learner.pk, str(course))] and live == []
                continue
            if self.holds[(learner.pk, str(course))]:
                assert len(live) == 1, f"{learner.username} {course}: {len(live)} live badges"
                assert row.state in LIVE and row.credly_badge_id == live[0]["id"], (row.state, row.credly_badge_id)
            elif row.pk not in self.gave_up:
                assert live == [], f"{learner.username} {course}: a badge taken back is still live"


ACTIONS = [  # (weight, name)
    (14, "earn"), (5, "revoke_certificate"), (30, "work"), (9, "fault"), (3, "reconnect"), (5, "webhook"),
    (3, "expire_leases"), (3, "admin_retry"), (5, "sweep"), (4, "time_passes"), (2, "refresh_pending"),
    (2, "restore_credentials"), (6, "concurrent"),
]


TEMPLATE_IDS = ("0dd1ca7e-0000-4000-8000-000000000001", "0dd1ca7e-0000-4000-8000-000000000002")


def set_up_world(fake, organization, learners):
    """A clean slate: the fake knows the organization and two templates (refusing, allowing duplicates)."""
    fake.state.reset()
    for model in (BadgeIssuance, IssuedBadge, CredlyErrorLog, LearningPathProgress, CourseBadgeTemplate,
                  BadgeTemplate):
        model.objects.all().delete()
    CredlyOrganization.objects.filter(pk=organization.pk).update(connection_lost_at=None, issuing_paused_until=None)
    fake.state.add_organization(organization.name, id=ORG_ID, token=TOKEN)
    achievements = []
    for number, allow in enumerate((False, True)):
        fake.state.add_template(ORG_ID, f"Template {number}", id=TEMPLATE_IDS[number], allow_duplicate_badges=allow)
        template = BadgeTemplate.objects.create(organization=organization, template_id=TEMPLATE_IDS[number],
                                                name=f"Template {number}", allow_duplicate_badges=allow)
        course = CourseKey.from_string(f"course-v1:Model+M{number}+2026")
        CourseBadgeTemplate.objects.create(course_id=course, template=template, revoke_on_certificate_revoked=True)
        achievements += [(learner, course, TEMPLATE_IDS[number]) for learner in learners]
    return achievements
