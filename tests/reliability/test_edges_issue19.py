"""
Regression tests of issue 19, "exactly once around the edges": findings 1, 2, 4, 6, 7 and 10,
the one lock order of the issuance transitions, and one Credly badge per row.

Credly is the project's fake server, faults on demand. Each test failed on the code before
its fix (see docs/reliability.rst, "Around the edges").
"""
from datetime import datetime, timedelta, timezone

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone as dj_timezone
from openedx_events.learning.signals import CERTIFICATE_CREATED, CERTIFICATE_REVOKED

from openedx_credly import tasks
from openedx_credly.issuing import credly_records, delivery, issuance, revoking, scheduling
from openedx_credly.learners import retirement
from openedx_credly.models import BadgeIssuance, CredlyErrorLog, CredlyOrganization, HeldCredlyBadge, IssuedBadge
from tests.conftest import ORG_ID, TOKEN, certificate_data, events_metadata, make_badge, make_learner, send_certificate

FIRST_GRANT = datetime(2026, 11, 25, 14, 3, tzinfo=timezone.utc)


@pytest.fixture
def revoking_mapping(mapping):
    mapping.revoke_on_certificate_revoked = True
    mapping.save()
    return mapping


def earn(learner, course_key, capture, *, execute=True, when=FIRST_GRANT):
    """A certificate event at ``when``; its sending task runs on commit when ``execute`` (else its message is lost)."""
    with capture(execute=execute):
        CERTIFICATE_CREATED.send_event_with_custom_metadata(
            events_metadata(CERTIFICATE_CREATED.event_type, when=when),
            certificate=certificate_data(learner, course_key))
    return IssuedBadge.objects.get(user=learner, course_id=course_key)


def take_back(learner, course_key, capture, *, execute=True):
    """The certificate is revoked; its revoking task runs on commit when ``execute`` (else its message is lost)."""
    with capture(execute=execute):
        send_certificate(learner, course_key, status="notpassing", signal=CERTIFICATE_REVOKED)


def live_on_fake(fake):
    return [badge for badge in fake.state.all_badges() if badge["state"] in ("pending", "accepted")]


def posts(fake):
    return [entry for entry in fake.state.recent_requests(500) if entry["method"] == "POST"
            and entry["path"].endswith("/badges")]


def current_of(badge):
    return BadgeIssuance.objects.get(pk=IssuedBadge.objects.get(pk=badge.pk).current_issuance_id)


class Broker:
    """What the sweeper enqueues, run by hand: issue and revoke messages, each task's own function."""

    def __init__(self, monkeypatch):
        self.messages = []
        monkeypatch.setattr(scheduling, "enqueue",
                            lambda name, ids: self.messages.extend((name, pk) for pk in ids) or len(list(ids)))

    def sweep(self, settings):
        """One sweeper run, every message it enqueued delivered; returns the outcomes."""
        settings.CREDLY_QUEUE_GRACE_PERIOD = 0
        tasks.process_queue()
        outcomes = []
        while self.messages:
            name, pk = self.messages.pop(0)
            if name == scheduling.ISSUE_BADGE:
                outcomes.append(("issue", delivery.deliver(pk).outcome))
            elif name == scheduling.REVOKE_BADGE:
                outcomes.append(("revoke", revoking.revoke(pk).outcome))
        return outcomes


# 1. A platform revocation read from Credly before the revoke task heard its answer.


def test_revocation_whose_answer_was_lost_and_read_from_credly_is_granted_again(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks, *, settings):
    settings.CREDLY_REQUEST_TIMEOUT = 0.5
    first = earn(learner, course_key, django_capture_on_commit_callbacks)
    assert first.state == IssuedBadge.STATE_PENDING
    on_fake.state.add_faults({"after_commit_timeout": 2, "method": "PUT", "path_contains": "/revoke"})
    take_back(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    assert revoking.revoke(first.pk).outcome == "retry"  # Credly revoked it; we never heard
    # The webhook (or the periodic refresh) reads the badge as revoked before the retry.
    credly_records.apply_credly_badge(first, on_fake.state.get_badge(ORG_ID, first.credly_badge_id))
    assert current_of(first).revoked_because == BadgeIssuance.REVOKED_BY_PLATFORM
    assert revoking.revoke(first.pk).outcome == "nothing_to_do"

    again = earn(learner, course_key, django_capture_on_commit_callbacks, when=FIRST_GRANT + timedelta(days=3))

    assert again.state == IssuedBadge.STATE_PENDING and again.credly_badge_id != first.credly_badge_id
    assert len(live_on_fake(on_fake)) == 1


def test_badge_revoked_on_credly_without_a_request_still_stays_revoked(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    on_fake.state.revoke_badge(ORG_ID, badge.credly_badge_id, "Revoked by the issuer on Credly")
    credly_records.apply_credly_badge(badge, on_fake.state.get_badge(ORG_ID, badge.credly_badge_id))
    assert current_of(badge).revoked_because == BadgeIssuance.REVOKED_ON_CREDLY
    earn(learner, course_key, django_capture_on_commit_callbacks, when=FIRST_GRANT + timedelta(days=3))
    assert IssuedBadge.objects.get().state == IssuedBadge.STATE_REVOKED and not live_on_fake(on_fake)


@pytest.mark.parametrize("webhook_first", [False, True])
def test_granted_again_after_a_revocation_whose_answer_was_lost_keeps_a_live_badge(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks, *, settings,
        webhook_first):
    settings.CREDLY_REQUEST_TIMEOUT = 0.5
    first = earn(learner, course_key, django_capture_on_commit_callbacks)
    on_fake.state.add_faults({"after_commit_timeout": 2, "method": "PUT", "path_contains": "/revoke"})
    take_back(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    assert revoking.revoke(first.pk).outcome == "retry"  # Credly revoked it; we never heard
    # The certificate is granted again before the retry: the revocation is withdrawn, but it reached Credly.
    earn(learner, course_key, django_capture_on_commit_callbacks, when=FIRST_GRANT + timedelta(days=3))
    if webhook_first:
        credly_records.apply_credly_badge(first, on_fake.state.get_badge(ORG_ID, first.credly_badge_id))

    with django_capture_on_commit_callbacks(execute=True):
        outcome = revoking.revoke(first.pk).outcome  # the revoke task's retry

    assert outcome.endswith("_then_granted_again")
    badge = IssuedBadge.objects.get()
    assert badge.state == IssuedBadge.STATE_PENDING and badge.credly_badge_id != first.credly_badge_id
    assert len(live_on_fake(on_fake)) == 1


# 2. Sending checks the revocation request; the sweeper re-drives revocations.


def test_sweeper_never_sends_a_badge_whose_revocation_message_was_lost(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks, *, monkeypatch,
        settings):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=False)  # broker down
    take_back(learner, course_key, django_capture_on_commit_callbacks, execute=False)  # broker still down

    outcomes = Broker(monkeypatch).sweep(settings)

    assert ("revoke", "never_sent") in outcomes
    assert not posts(on_fake) and not on_fake.state.all_badges()
    assert IssuedBadge.objects.get(pk=badge.pk).state == IssuedBadge.STATE_REVOKED


def test_an_issue_message_older_than_the_revocation_sends_nothing(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    take_back(learner, course_key, django_capture_on_commit_callbacks, execute=False)

    assert delivery.deliver(badge.pk).outcome == "not_claimed"  # the older issue message arrives first
    assert revoking.revoke(badge.pk).outcome == "never_sent"
    assert not posts(on_fake)


def test_sweeper_re_drives_a_revocation_whose_retries_gave_up(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks, *, monkeypatch,
        settings):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    on_fake.state.add_faults({"status": 500, "method": "PUT", "path_contains": "/revoke"})
    take_back(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    assert revoking.revoke(badge.pk).outcome == "retry"
    revoking.give_up(badge.pk, "retry")  # the task's last retry
    broker = Broker(monkeypatch)
    assert not broker.sweep(settings)  # not due yet: the revocation backs off as issuing does
    BadgeIssuance.objects.update(next_attempt_at=dj_timezone.now() - timedelta(seconds=1))

    assert ("revoke", "revoked") in broker.sweep(settings)
    assert not live_on_fake(on_fake)
    assert IssuedBadge.objects.get(pk=badge.pk).state == IssuedBadge.STATE_REVOKED


def test_admin_retry_does_not_queue_a_failed_badge_whose_revocation_is_requested(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks, *, settings):
    settings.CREDLY_MAX_ATTEMPTS = 1
    on_fake.state.add_faults({"status": 500, "method": "POST"})
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    assert badge.state == IssuedBadge.STATE_FAILED
    take_back(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    retried, _busy = issuance.retry([badge.pk])
    assert not retried
    assert IssuedBadge.objects.get(pk=badge.pk).state == IssuedBadge.STATE_FAILED


# 4. A badge granted again expires after its new grant.


def test_badge_granted_again_gets_the_expiry_of_its_new_grant(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks):
    revoking_mapping.expires_in_months = 12
    revoking_mapping.save()
    first = earn(learner, course_key, django_capture_on_commit_callbacks)
    assert first.expires_at == datetime(2027, 11, 25, 14, 3, tzinfo=timezone.utc)
    take_back(learner, course_key, django_capture_on_commit_callbacks)
    regranted = datetime(2028, 6, 1, 9, 0, tzinfo=timezone.utc)  # after the first grant's expiry

    again = earn(learner, course_key, django_capture_on_commit_callbacks, when=regranted)

    assert again.state == IssuedBadge.STATE_PENDING
    assert again.earned_at == regranted and again.expires_at == datetime(2029, 6, 1, 9, 0, tzinfo=timezone.utc)
    sent = on_fake.state.get_badge(ORG_ID, again.credly_badge_id)
    assert sent["expires_at"].startswith("2029-06-01T09:00:00") and sent["issued_at"] < sent["expires_at"]


# 6. Any exception inside an attempt counts; retirement while a worker holds the claim.


def test_an_exception_in_build_payload_counts_as_an_attempt_and_fails_after_the_limit(
        on_fake, mapping, learner, course_key, django_capture_on_commit_callbacks, *, settings, monkeypatch):
    settings.CREDLY_MAX_ATTEMPTS = 3
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=False)

    def broken(badge):
        raise KeyError("course_name")

    monkeypatch.setattr(delivery, "build_payload", broken)
    outcomes = [delivery.deliver(badge.pk).outcome for _ in range(5)]

    assert outcomes[:2] == ["retry", "retry"] and outcomes[2] == "failed"
    assert current_of(badge).attempts == 3 and current_of(badge).state == IssuedBadge.STATE_FAILED
    entry = CredlyErrorLog.objects.get(kind=CredlyErrorLog.KIND_ISSUANCE_FAILED)
    assert "KeyError" in entry.details
    assert not posts(on_fake)


def test_an_exception_before_any_request_counts_too(mapping, learner, course_key,
                                                    django_capture_on_commit_callbacks, *, settings, monkeypatch):
    settings.CREDLY_MAX_ATTEMPTS = 2
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=False)

    def broken(organization):
        raise RuntimeError("no client")

    monkeypatch.setattr(delivery, "client_for", broken)
    assert [delivery.deliver(badge.pk).outcome for _ in range(3)] == ["retry", "failed", "not_claimed"]
    assert current_of(badge).claim_token == ""


@pytest.mark.parametrize("unclear", [False, True])
def test_retirement_while_a_worker_holds_the_claim_ends_the_badge(
        on_fake, mapping, learner, course_key, django_capture_on_commit_callbacks, *, unclear):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    current = issuance.current(badge.pk)
    BadgeIssuance.objects.filter(pk=current.pk).update(outcome_unclear=unclear, attempts=int(unclear))
    token = issuance.claim(current.pk)  # a worker is on it
    assert retirement.retire_user(learner)["queued_badges_stopped"] == 0  # left to the worker
    issuance.release(current.pk, token)  # its attempt ended with a 429: queued again, email now blank

    assert delivery.deliver(badge.pk).outcome == "learner_retired"

    assert not posts(on_fake) and not on_fake.state.all_badges()
    stopped = current_of(badge)
    assert stopped.state == IssuedBadge.STATE_FAILED and stopped.last_error == issuance.RETIRED_REASON
    assert issuance.due_badge_ids(now=dj_timezone.now() + timedelta(days=1)) == []


def test_revocation_that_stops_on_an_unexpected_error_is_deferred_not_looped(
        on_fake, revoking_mapping, learner, course_key, django_capture_on_commit_callbacks, *, monkeypatch, settings):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    BadgeIssuance.objects.filter(pk=issuance.current(badge.pk).pk).update(outcome_unclear=True, attempts=1)
    retirement.retire_user(learner)  # the address the look-up needs is blank now
    take_back(learner, course_key, django_capture_on_commit_callbacks, execute=False)

    assert revoking.revoke(badge.pk).outcome == "failed"  # no exception out of the task

    assert current_of(badge).next_attempt_at > dj_timezone.now() + timedelta(hours=23)
    assert not Broker(monkeypatch).sweep(settings)  # not re-driven every sweep
    assert not on_fake.state.all_badges()


def test_admin_refuses_to_retry_a_retired_learners_failed_badge(
        on_fake, mapping, learner, course_key, django_capture_on_commit_callbacks, *, admin_client):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    retirement.retire_user(learner)
    assert IssuedBadge.objects.get(pk=badge.pk).state == IssuedBadge.STATE_FAILED

    response = admin_client.post(reverse("admin:openedx_credly_issuedbadge_changelist"),
                                 {"action": "retry_action", "_selected_action": [badge.pk]}, follow=True)

    assert any("retired their account" in str(message) for message in response.context["messages"])
    assert IssuedBadge.objects.get(pk=badge.pk).state == IssuedBadge.STATE_FAILED
    assert not posts(on_fake)


# 7. Look-ups count toward the attempt budget and its backoff.


@pytest.mark.usefixtures("duplicates_allowed")
def test_an_unclear_outcome_whose_look_up_keeps_failing_backs_off_and_fails(
        on_fake, mapping, learner, course_key, django_capture_on_commit_callbacks, *, settings):
    settings.CREDLY_MAX_ATTEMPTS = 4
    settings.CREDLY_REQUEST_TIMEOUT = 0.5
    on_fake.state.add_faults({"after_commit_drop": True, "method": "POST"})
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    assert current_of(badge).outcome_unclear and current_of(badge).attempts == 1
    on_fake.state.add_faults({"status": 500, "method": "GET", "path_contains": "/badges", "probability": 1.0})

    outcomes, waits = [], []
    for _ in range(6):
        outcomes.append(delivery.deliver(badge.pk).outcome)
        current = current_of(badge)
        if current.next_attempt_at:
            waits.append((current.attempts, current.next_attempt_at - current.modified))

    # One POST and three look-ups: four attempts, then failed (not a retry storm at 1-5 s for ever).
    assert outcomes[:3] == ["retry", "retry", "failed"] and set(outcomes[3:]) == {"not_claimed"}
    assert current_of(badge).attempts == 4 and current_of(badge).outcome_unclear  # the badge may be on Credly
    # Each wait is the backoff of the attempts counted so far, the look-ups included.
    assert [attempts for attempts, _wait in waits] == [2, 3]
    assert all(wait >= timedelta(seconds=0.9) for _attempts, wait in waits)
    assert len(on_fake.state.all_badges()) == 1  # never POSTed again while the look-up failed


# 10. Retry-After is capped.


@pytest.mark.parametrize("retry_after", [10 ** 12, 86400])
def test_retry_after_is_capped_and_the_cap_is_logged(on_fake, mapping, learner, course_key,
                                                     django_capture_on_commit_callbacks, *, settings, retry_after):
    settings.CREDLY_RETRY_AFTER_CAP_SECONDS = 3600
    on_fake.state.add_faults({"status": 429, "retry_after": retry_after, "method": "POST"})
    before = dj_timezone.now()
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)

    assert badge.state == IssuedBadge.STATE_QUEUED
    paused = CredlyOrganization.objects.get().issuing_paused_until
    assert before + timedelta(seconds=3590) <= paused <= dj_timezone.now() + timedelta(seconds=3601)
    entry = CredlyErrorLog.objects.get(kind=CredlyErrorLog.KIND_RATE_LIMITED)
    assert "3600" in entry.details and str(retry_after) in entry.details
    assert current_of(badge).attempts == 0


def test_revocation_honours_the_capped_retry_after(on_fake, revoking_mapping, learner, course_key,
                                                   django_capture_on_commit_callbacks, *, settings):
    settings.CREDLY_RETRY_AFTER_CAP_SECONDS = 120
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    on_fake.state.add_faults({"status": 429, "retry_after": 10 ** 12, "method": "PUT"})
    take_back(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    delivery = revoking.revoke(badge.pk)
    assert delivery.outcome == "rate_limited" and 120 <= delivery.retry_in <= 120 + 5


# The one lock order: BadgeIssuance before IssuedBadge, in every transition.


def _locks_in_order(action):
    """The transition locks its ``BadgeIssuance`` before it writes the ``IssuedBadge``."""
    with CaptureQueriesContext(connection) as captured:
        with transaction.atomic():
            assert action()
    queries = [query["sql"].lower().replace('"', "").replace("`", "") for query in captured.captured_queries]
    queries = [sql for sql in queries if sql.startswith(("update", "select"))]
    issuance_at = next(index for index, sql in enumerate(queries) if "openedx_credly_badgeissuance" in sql)
    badge_write = next(index for index, sql in enumerate(queries)
                       if sql.startswith("update openedx_credly_issuedbadge"))
    assert issuance_at < badge_write, queries
    if connection.features.has_select_for_update:  # MariaDB: a locking read, not a plain one
        assert "for update" in queries[issuance_at], queries


@pytest.mark.parametrize("transition", ["record_remote", "mark_gone"])
def test_remote_transitions_lock_the_issuance_before_the_badge(learner, template, transition):
    badge = make_badge(learner, template, state=IssuedBadge.STATE_PENDING, credly_badge_id="b-1")
    if transition == "record_remote":
        _locks_in_order(lambda: issuance.record_remote(badge, {"credly_badge_id": "b-1", "state": "accepted"}))
    else:
        _locks_in_order(lambda: issuance.mark_gone(badge, "gone"))


# No two rows hold one Credly badge.


def test_two_rows_of_an_organization_cannot_hold_one_credly_badge(learner, template, course_key):
    other = make_learner("grace", "grace@example.com")
    first = make_badge(learner, template, state=IssuedBadge.STATE_QUEUED, course_id=course_key)
    second = make_badge(other, template, state=IssuedBadge.STATE_QUEUED, course_id=course_key)
    assert issuance.record_issued(first.current_issuance_id, {"credly_badge_id": "b-1", "state": "pending"})
    assert not issuance.record_issued(second.current_issuance_id, {"credly_badge_id": "b-1", "state": "pending"})
    assert IssuedBadge.objects.get(pk=second.pk).credly_badge_id == ""
    assert current_of(second).state == IssuedBadge.STATE_QUEUED


def test_the_constraint_holds_in_the_database(learner, template, organization):
    badge = make_badge(learner, template, state=IssuedBadge.STATE_PENDING)
    other = make_badge(make_learner("grace", "grace@example.com"), template, state=IssuedBadge.STATE_PENDING)
    HeldCredlyBadge.objects.create(organization=organization, credly_badge_id="b-1", badge=badge)
    with pytest.raises(IntegrityError), transaction.atomic():
        HeldCredlyBadge.objects.create(organization=organization, credly_badge_id="b-1", badge=other)
    elsewhere = CredlyOrganization.objects.create(name="Elsewhere", organization_id="org-2", api_token=TOKEN)
    HeldCredlyBadge.objects.create(organization=elsewhere, credly_badge_id="b-1", badge=other)
