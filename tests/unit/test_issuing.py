"""
Sending a badge: the exact HTTP contract, and each row of Credly's answer table.

Credly is mocked with ``responses``; the events are real openedx-events signals sent
through the host, and the Celery task runs eagerly once the transaction commits.
"""
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from django.utils import timezone as dj_timezone
from openedx_events.learning.signals import CERTIFICATE_CREATED

from openedx_credly import tasks
from openedx_credly.issuing import delivery, issuance, scheduling
from openedx_credly.models import BadgeIssuance, BadgeTemplate, CredlyErrorLog, CredlyOrganization, IssuedBadge
from tests.conftest import CREDLY_API, ORG_ID, TEMPLATE_ID, TOKEN, events_metadata, make_learner, send_certificate

BADGES_URL = f"{CREDLY_API}organizations/{ORG_ID}/badges"
EARNED = datetime(2026, 11, 25, 14, 3, tzinfo=timezone.utc)


def credly_badge(badge_id="b-1", state="pending", email="ada@example.com", **extra):
    return {
        "id": badge_id,
        "state": state,
        "issued_at": "2026-11-25T14:03:00.000Z",
        "recipient_email": email,
        "issuer_earner_id": extra.pop("issuer_earner_id", None),
        "accept_badge_url": f"https://credly.test/earner/badges/{badge_id}/accept",
        "badge_url": f"https://credly.test/badges/{badge_id}",
        "image_url": "https://credly.test/images/b.png",
        "badge_template": {"id": TEMPLATE_ID, "name": "Course Finisher"},
        "user": {"id": "u-1"},
        **extra,
    }


def page(items, total_pages=1, current=1):
    return {"data": items, "metadata": {"count": len(items), "current_page": current, "total_count": len(items),
                                        "total_pages": total_pages, "per": 50, "previous_page_url": None,
                                        "next_page_url": None}}


def earn(learner, course_key, capture, **kwargs):
    """A certificate event at a known time, with the sending task run on commit."""
    metadata = events_metadata(CERTIFICATE_CREATED.event_type, when=EARNED)
    from tests.conftest import certificate_data  # pylint: disable=import-outside-toplevel

    with capture(execute=True):
        CERTIFICATE_CREATED.send_event_with_custom_metadata(
            metadata, certificate=certificate_data(learner, course_key, **kwargs)
        )
    return IssuedBadge.objects.get(user=learner)


def attempt_of(badge):
    """The badge's current issuance, as stored now."""
    return BadgeIssuance.objects.get(pk=IssuedBadge.objects.get(pk=badge.pk).current_issuance_id)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_issue_sends_exact_contract(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge()}, status=201)

    badge = earn(learner, course_key, capture)

    request = credly_api.calls[0].request
    assert request.url == BADGES_URL
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{TOKEN}:".encode()).decode()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    body = json.loads(request.body)
    assert body["recipient_email"] == "ada@example.com"
    assert body["issued_to_first_name"] == "Ada"
    assert body["issued_to_last_name"] == "Lovelace"
    assert body["badge_template_id"] == TEMPLATE_ID
    assert body["issued_at"] == "2026-11-25 14:03:00 +0000"  # when it was earned, Credly's format
    assert body["issuer_earner_id"] == f"openedx-user-{learner.id}"
    assert body["locale"] == "en"
    assert body["evidence"][0]["type"] == "UrlEvidence"
    assert body["evidence"][0]["value"].endswith(f"/courses/{course_key}/about")
    assert badge.state == IssuedBadge.STATE_PENDING
    assert badge.credly_badge_id == "b-1"
    assert badge.accept_url == "https://credly.test/earner/badges/b-1/accept"
    assert badge.badge_url == "https://credly.test/badges/b-1"
    assert badge.earned_at == EARNED
    assert badge.trigger_event_type == CERTIFICATE_CREATED.event_type
    assert badge.trigger_event_id  # provenance kept


def test_repeated_events_issue_one_badge(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge()}, status=201)
    for _ in range(5):
        with capture(execute=True):
            send_certificate(learner, course_key)
    assert IssuedBadge.objects.filter(user=learner).count() == 1
    assert len(credly_api.calls) == 1


def test_auto_accepted_badge_is_recorded_accepted(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge(state="accepted")}, status=201)
    assert earn(learner, course_key, capture).state == IssuedBadge.STATE_ACCEPTED


def test_one_word_name_gets_a_non_empty_last_name(credly_api, mapping, course_key, capture, db):
    learner = make_learner(username="plato", email="plato@example.com", first_name="", last_name="")
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge()}, status=201)
    earn(learner, course_key, capture, name="Plato")
    body = json.loads(credly_api.calls[0].request.body)
    assert body["issued_to_first_name"] == "Plato"
    assert body["issued_to_last_name"] == "plato"


def test_no_name_at_all_uses_username(credly_api, mapping, course_key, capture, db):
    learner = make_learner(username="anon42", email="anon@example.com", first_name="", last_name="")
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge()}, status=201)
    earn(learner, course_key, capture, name="")
    body = json.loads(credly_api.calls[0].request.body)
    assert (body["issued_to_first_name"], body["issued_to_last_name"]) == ("anon42", "anon42")


def test_duplicate_422_records_existing_badge(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "User already has this badge"}}, status=422)
    credly_api.add(responses.GET, BADGES_URL, json=page([credly_badge("existing-9", state="accepted")]))

    badge = earn(learner, course_key, capture)

    assert badge.state == IssuedBadge.STATE_ACCEPTED
    assert badge.credly_badge_id == "existing-9"
    lookup = credly_api.calls[1].request
    assert "filter=" in lookup.url and "recipient_email%3A%3Aada%40example.com" in lookup.url
    assert not CredlyErrorLog.objects.exists()  # a duplicate is not a failure


@pytest.mark.parametrize("status,kind", [(401, CredlyErrorLog.KIND_CONNECTION_EXPIRED),
                                         (403, CredlyErrorLog.KIND_PERMISSION_DENIED)])
def test_credential_refused_keeps_badge_queued_and_stops_org(credly_api, mapping, learner, course_key, capture,
                                                             *, status, kind):
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "nope"}}, status=status)

    badge = earn(learner, course_key, capture)

    assert badge.state == IssuedBadge.STATE_QUEUED
    assert attempt_of(badge).attempts == 0
    assert not attempt_of(badge).outcome_unclear  # a refused request created nothing
    organization = CredlyOrganization.objects.get()
    assert organization.connection_lost_at is not None
    entry = CredlyErrorLog.objects.get()
    assert entry.kind == kind
    assert "1 badge(s) are waiting" in entry.details
    # While the connection is lost, nothing more is sent, and the sweeper leaves it alone.
    assert issuance.due_badge_ids(now=dj_timezone.now() + timedelta(hours=1)) == []
    assert delivery.deliver(badge.pk).outcome == "waiting_for_operator"
    assert len(credly_api.calls) == 1


def test_second_401_logs_once(credly_api, mapping, course_key, capture, db):
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "expired"}}, status=401)
    for index in range(3):
        earn(make_learner(username=f"l{index}", email=f"l{index}@example.com"), course_key, capture)
    assert CredlyErrorLog.objects.filter(kind=CredlyErrorLog.KIND_CONNECTION_EXPIRED).count() == 1


def test_404_fails_without_retry(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "Badge template not found"}}, status=404)
    badge = earn(learner, course_key, capture)
    assert badge.state == IssuedBadge.STATE_FAILED
    assert attempt_of(badge).next_attempt_at is None
    entry = CredlyErrorLog.objects.get()
    assert entry.kind == CredlyErrorLog.KIND_ISSUANCE_FAILED
    assert 'The badge "Course Finisher" was not issued to ada@example.com' in entry.details
    assert len(credly_api.calls) == 1


def test_validation_422_fails_with_credlys_message(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL,
                   json={"data": {"message": "Badge template is not active"}}, status=422)
    badge = earn(learner, course_key, capture)
    assert badge.state == IssuedBadge.STATE_FAILED
    assert "Badge template is not active" in CredlyErrorLog.objects.get().details


def test_429_pauses_organization_and_retries_after(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "slow down"}}, status=429,
                   headers={"Retry-After": "30"})
    before = dj_timezone.now()

    badge = earn(learner, course_key, capture)

    organization = CredlyOrganization.objects.get()
    assert before + timedelta(seconds=29) <= organization.issuing_paused_until <= before + timedelta(seconds=40)
    assert badge.state == IssuedBadge.STATE_QUEUED
    assert attempt_of(badge).attempts == 0
    assert attempt_of(badge).next_attempt_at >= organization.issuing_paused_until
    entry = CredlyErrorLog.objects.get()
    assert entry.kind == CredlyErrorLog.KIND_RATE_LIMITED
    # While paused, a delivery does not call Credly and comes back after the pause.
    result = delivery.deliver(badge.pk)
    assert result.outcome == "paused" and result.retry_in >= 25
    assert len(credly_api.calls) == 1


def test_429_without_retry_after_uses_default_pause(credly_api, mapping, learner, course_key, capture, *, settings):
    settings.CREDLY_RATE_LIMIT_PAUSE = 90
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "slow down"}}, status=429)
    earn(learner, course_key, capture)
    paused = CredlyOrganization.objects.get().issuing_paused_until - dj_timezone.now()
    assert timedelta(seconds=80) < paused <= timedelta(seconds=90)


@pytest.mark.parametrize("failure", [
    {"status": 500}, {"status": 503}, {"body": requests.exceptions.ConnectTimeout("slow")},
    {"body": requests.exceptions.ReadTimeout("slow")}, {"body": requests.exceptions.ConnectionError("down")},
])
def test_transient_failures_retry_with_backoff_then_fail(credly_api, mapping, learner, course_key, capture,
                                                         *, settings, failure):
    settings.CREDLY_MAX_ATTEMPTS = 3
    if "status" in failure:
        failure = {**failure, "json": {"data": {"message": "boom"}}}
    credly_api.add(responses.POST, BADGES_URL, **failure)
    # After an unclear failure each attempt looks on Credly first: nothing there.
    credly_api.add(responses.GET, BADGES_URL, json=page([]))

    badge = earn(learner, course_key, capture)
    assert badge.state == IssuedBadge.STATE_QUEUED
    assert attempt_of(badge).attempts == 1
    assert attempt_of(badge).next_attempt_at > dj_timezone.now()
    assert badge.last_error

    for _ in range(2):
        delivery.deliver(badge.pk)
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_FAILED
    assert attempt_of(badge).attempts == 3
    assert "Gave up after 3 attempts" in CredlyErrorLog.objects.get().details


def test_transient_failure_then_success(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "boom"}}, status=502)
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge()}, status=201)
    credly_api.add(responses.GET, BADGES_URL, json=page([]))
    badge = earn(learner, course_key, capture)
    assert badge.state == IssuedBadge.STATE_QUEUED
    delivery.deliver(badge.pk)
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING
    assert attempt_of(badge).attempts == 2 and not attempt_of(badge).outcome_unclear
    # The 502 left the outcome unclear: the retry looked on Credly before sending again.
    assert [call.request.method for call in credly_api.calls] == ["POST", "GET", "POST"]


def test_task_hands_retry_delay_to_celery(credly_api, mapping, learner, course_key, capture, *, monkeypatch):
    """Outside eager mode, the task schedules its retry with Celery's own retry machinery."""
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "boom"}}, status=500)
    with capture(execute=False):
        send_certificate(learner, course_key)
    badge = IssuedBadge.objects.get()
    retries = []

    class Retry(Exception):
        pass

    def record_retry(**kwargs):
        retries.append(kwargs)
        return Retry()

    monkeypatch.setattr(tasks.issue_badge, "retry", record_retry)
    tasks.issue_badge.push_request(is_eager=False)
    try:
        with pytest.raises(Retry):
            tasks.issue_badge.run(badge.pk)
    finally:
        tasks.issue_badge.pop_request()
    assert len(retries) == 1 and 1 <= retries[0]["countdown"] <= tasks.MAX_COUNTDOWN
    assert attempt_of(badge).next_attempt_at is not None


def test_claimed_badge_is_not_sent_twice(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge()}, status=201)
    with capture(execute=False):
        send_certificate(learner, course_key)
    badge = IssuedBadge.objects.get()
    # Another worker holds the claim: this delivery must not send.
    assert issuance.claim(issuance.current(badge.pk).pk) is not None
    assert delivery.deliver(badge.pk).outcome == "not_claimed"
    assert not credly_api.calls
    # Once that worker's lease runs out (it died), the badge is sent, once.
    BadgeIssuance.objects.update(claimed_until=dj_timezone.now() - timedelta(seconds=1))
    assert delivery.deliver(badge.pk).outcome == "issued"
    assert delivery.deliver(badge.pk).outcome == "not_claimed"
    assert len(credly_api.calls) == 1


def test_duplicate_allowed_template_looks_before_resending(credly_api, mapping, learner, course_key, capture):
    """After an unclear failure, a template that allows duplicates is checked on Credly first."""
    BadgeTemplate.objects.update(allow_duplicate_badges=True)
    credly_api.add(responses.POST, BADGES_URL, body=requests.exceptions.ReadTimeout("slow"))
    badge = earn(learner, course_key, capture)
    assert attempt_of(badge).attempts == 1 and attempt_of(badge).outcome_unclear
    # The timed-out request did create the badge on Credly, which answers ISO 8601 with milliseconds.
    credly_api.add(responses.GET, BADGES_URL, json=page([
        credly_badge("other", issuer_earner_id=f"openedx-user-{learner.id}", issued_at="2025-01-01T00:00:00.000Z"),
        credly_badge("created", issuer_earner_id=f"openedx-user-{learner.id}", issued_at="2026-11-25T14:03:00.000Z"),
    ]))
    assert delivery.deliver(badge.pk).outcome == "issued"
    badge.refresh_from_db()
    assert badge.credly_badge_id == "created"
    assert [call.request.method for call in credly_api.calls] == ["POST", "GET"]


def test_sweeper_reenqueues_lost_messages(credly_api, mapping, learner, course_key, capture, *, settings):
    settings.CREDLY_QUEUE_GRACE_PERIOD = 0
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge()}, status=201)
    with capture(execute=False):  # the broker lost the message
        send_certificate(learner, course_key)
    assert IssuedBadge.objects.get().state == IssuedBadge.STATE_QUEUED
    assert tasks.process_queue() == 1
    assert IssuedBadge.objects.get().state == IssuedBadge.STATE_PENDING
    assert tasks.process_queue() == 0


def test_sweeper_skips_badges_waiting_for_their_retry_time(mapping, learner, course_key, capture, settings):
    settings.CREDLY_QUEUE_GRACE_PERIOD = 0
    with capture(execute=False):
        send_certificate(learner, course_key)
    assert issuance.due_badge_ids() == [IssuedBadge.objects.get().pk]  # its first message was lost
    issuance.current(IssuedBadge.objects.get().pk)
    BadgeIssuance.objects.update(next_attempt_at=dj_timezone.now() + timedelta(minutes=10))
    assert issuance.due_badge_ids() == []
    assert len(issuance.due_badge_ids(now=dj_timezone.now() + timedelta(minutes=11))) == 1


def test_reconnect_resumes_waiting_badges(credly_api, mapping, learner, course_key, capture):
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "expired"}}, status=401)
    credly_api.add(responses.POST, BADGES_URL, json={"data": credly_badge()}, status=201)
    earn(learner, course_key, capture)
    organization = CredlyOrganization.objects.get()
    organization.connection_lost_at = None
    organization.save()
    assert scheduling.enqueue(scheduling.ISSUE_BADGE, issuance.waiting_badge_ids(organization.pk)) == 1
    assert IssuedBadge.objects.get().state == IssuedBadge.STATE_PENDING


def test_sustained_rate_limit_is_logged_once(credly_api, mapping, course_key, capture, db):
    """Pause after pause in a busy stretch: the error log says it once, not every time."""
    credly_api.add(responses.POST, BADGES_URL, json={"data": {"message": "slow down"}}, status=429,
                   headers={"Retry-After": "1"})
    for index in range(3):
        earn(make_learner(username=f"r{index}", email=f"r{index}@example.com"), course_key, capture)
        CredlyOrganization.objects.update(issuing_paused_until=None)  # the pause ran out
    assert CredlyErrorLog.objects.filter(kind=CredlyErrorLog.KIND_RATE_LIMITED).count() == 1
    assert len(credly_api.calls) == 3
