"""
Regression tests of issue 11, "exactly once, for real": one test (or a few) per item of its list.

Credly is the project's fake server (it answers like Credly: ISO 8601 timestamps, faults on
demand), so a string comparison that only works against an echo, or a redirect followed,
fails here rather than in production. Each test failed on the code before the issuance
state machine.
"""
import types
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from openedx_events.learning.signals import CERTIFICATE_CHANGED, CERTIFICATE_CREATED, CERTIFICATE_REVOKED

from openedx_credly import crypto, tasks
from openedx_credly.credly import CredlyClient
from openedx_credly.issuing import credly_records, delivery, issuance, retrying, scheduling
from openedx_credly.models import BadgeIssuance, CredlyErrorLog, CredlyOrganization, IssuedBadge
from openedx_credly.settings import common
from tests.conftest import ORG_ID, TEMPLATE_ID, TOKEN, certificate_data, send_certificate


def earn(learner, course_key, capture, execute=False):
    """A certificate event; returns the badge (its task run on commit when ``execute``)."""
    with capture(execute=execute):
        send_certificate(learner, course_key)
    return IssuedBadge.objects.get(user=learner, course_id=course_key)


def live_on_fake(fake):
    return [badge for badge in fake.state.all_badges() if badge["state"] in ("pending", "accepted")]


def current_of(badge):
    return BadgeIssuance.objects.get(pk=IssuedBadge.objects.get(pk=badge.pk).current_issuance_id)


# 1. An unclear failure on a template that allows duplicates: no second badge.


@pytest.mark.parametrize("fault", [{"after_commit_drop": True}, {"after_commit_timeout": 2}])
def test_lost_answer_on_duplicate_allowing_template_gives_one_badge(duplicates_allowed, mapping, learner, course_key,
                                                                    django_capture_on_commit_callbacks, *, settings,
                                                                    fault):
    settings.CREDLY_REQUEST_TIMEOUT = 0.5
    duplicates_allowed.state.add_faults({**fault, "method": "POST", "path_contains": "/badges"})
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    assert badge.state == IssuedBadge.STATE_QUEUED and current_of(badge).outcome_unclear
    assert len(live_on_fake(duplicates_allowed)) == 1  # Credly made it; we never heard

    assert delivery.deliver(badge.pk).outcome == "issued"

    on_credly = live_on_fake(duplicates_allowed)
    assert len(on_credly) == 1  # found by earner id and the instant of issued_at, not sent again
    assert on_credly[0]["issued_at"].endswith(".000Z")  # Credly's format, not the one we sent
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING and badge.credly_badge_id == on_credly[0]["id"]


def test_lookup_compares_instants_not_strings(duplicates_allowed, mapping, learner, course_key,
                                              django_capture_on_commit_callbacks):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    other_time = duplicates_allowed.state.issue_badge(ORG_ID, {
        "recipient_email": learner.email, "issued_to_first_name": "Ada", "issued_to_last_name": "Lovelace",
        "badge_template_id": TEMPLATE_ID, "issued_at": "2025-01-01 00:00:00 +0000",
        "issuer_earner_id": f"openedx-user-{learner.pk}"})
    same_time = duplicates_allowed.state.issue_badge(ORG_ID, {
        "recipient_email": learner.email, "issued_to_first_name": "Ada", "issued_to_last_name": "Lovelace",
        "badge_template_id": TEMPLATE_ID, "issued_at": delivery.format_issued_at(badge.earned_at),
        "issuer_earner_id": f"openedx-user-{learner.pk}"})
    client = CredlyClient(api_base_url=duplicates_allowed.api_base_url, organization_id=ORG_ID,
                          auth=(TOKEN, ""))
    found = credly_records.find_existing(client, badge)
    assert found["id"] == same_time["id"] != other_time["id"]


# 2. Admin "Retry" forgets nothing and steals no claim.


def test_admin_retry_keeps_attempts_and_the_unclear_flag(duplicates_allowed, mapping, learner, course_key,
                                                         django_capture_on_commit_callbacks, *, admin_client, settings):
    settings.CREDLY_MAX_ATTEMPTS = 1
    duplicates_allowed.state.add_faults({"after_commit_drop": True, "method": "POST"})
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    assert badge.state == IssuedBadge.STATE_FAILED  # one attempt allowed, its answer lost

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:openedx_credly_issuedbadge_changelist"),
                          {"action": "retry_action", "_selected_action": [badge.pk]})

    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING
    assert len(live_on_fake(duplicates_allowed)) == 1  # looked first, found the lost badge
    assert current_of(badge).attempts == 2  # kept, not reset: the lost POST, then the look-up that found it


def test_admin_retry_leaves_a_live_claim_alone(on_fake, mapping, learner, course_key,
                                               django_capture_on_commit_callbacks, *, admin_client):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    token = issuance.claim(issuance.current(badge.pk).pk)
    response = admin_client.post(reverse("admin:openedx_credly_issuedbadge_changelist"),
                                 {"action": "retry_action", "_selected_action": [badge.pk]}, follow=True)
    assert any("being sent by a worker" in str(message) for message in response.context["messages"])
    assert current_of(badge).claim_token == token


# 3. Leases cover an attempt; a late result is kept; a late worker cannot revive a revoked row.


def test_lease_covers_the_worst_attempt_and_the_task_stops_before_it(settings):
    settings.CREDLY_REQUEST_TIMEOUT = 10
    # OAuth token, look-up pages, POST, 401 -> token -> POST, look-up after a duplicate: each may time out.
    assert issuance.lease() >= timedelta(seconds=issuance.MAX_REQUESTS_PER_ATTEMPT * 2 * 10)
    assert issuance.MAX_REQUESTS_PER_ATTEMPT >= 6
    assert tasks.issue_badge.soft_time_limit < issuance.lease().total_seconds()
    settings.CREDLY_REQUEST_TIMEOUT = (3, 27)
    assert issuance.lease() >= timedelta(seconds=issuance.MAX_REQUESTS_PER_ATTEMPT * 30)


def test_result_arriving_after_the_lease_is_still_recorded(on_fake, mapping, learner, course_key,
                                                           django_capture_on_commit_callbacks):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    real_issue = CredlyClient.issue_badge

    def slow_issue(client, payload):
        data = real_issue(client, payload)
        BadgeIssuance.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))  # the lease ran out
        return data

    with mock.patch.object(CredlyClient, "issue_badge", slow_issue):
        assert delivery.deliver(badge.pk).outcome == "issued"
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING and badge.credly_badge_id == on_fake.state.all_badges()[0]["id"]


def test_late_worker_cannot_revive_a_revoked_badge(on_fake, mapping, learner, course_key,
                                                   django_capture_on_commit_callbacks):
    mapping.revoke_on_certificate_revoked = True
    mapping.save()
    badge = earn(learner, course_key, django_capture_on_commit_callbacks)
    real_issue = CredlyClient.issue_badge

    def slow_issue(client, payload):
        data = real_issue(client, payload)
        # Meanwhile the lease ran out and the certificate was revoked: the unsent row is revoked.
        BadgeIssuance.objects.update(claimed_until=timezone.now() - timedelta(seconds=1), outcome_unclear=False)
        with django_capture_on_commit_callbacks(execute=True):
            send_certificate(learner, course_key, status="notpassing", signal=CERTIFICATE_REVOKED)
        return data

    with mock.patch.object(CredlyClient, "issue_badge", slow_issue):
        assert delivery.deliver(badge.pk).outcome == "revoked_meanwhile"
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_REVOKED and not badge.credly_badge_id
    # The badge the late POST made was revoked on Credly too.
    assert [each["state"] for each in on_fake.state.all_badges()] == ["revoked"]


# 4. A 201 without a usable id is not "issued".


def test_201_without_id_is_unclear_then_found(on_fake, mapping, learner, course_key,
                                              django_capture_on_commit_callbacks):
    on_fake.state.add_faults({"after_commit_without_id": True, "method": "POST"})
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    assert badge.state == IssuedBadge.STATE_QUEUED and badge.credly_badge_id == ""
    assert current_of(badge).outcome_unclear
    assert delivery.deliver(badge.pk).outcome == "issued"
    badge.refresh_from_db()
    assert badge.credly_badge_id == on_fake.state.all_badges()[0]["id"]
    assert len(on_fake.state.all_badges()) == 1


def test_malformed_id_is_not_kept():
    assert credly_records.credly_fields({"id": "../../x", "state": "pending"})["credly_badge_id"] == ""
    assert credly_records.credly_fields({"id": {"nested": 1}})["credly_badge_id"] == ""
    assert credly_records.credly_fields({"id": "2b9f6d1e-0c1a-4f3e-9a51-6f0e2b7d4c10"})["credly_badge_id"]


# 5. Redirects are never followed.


@pytest.mark.parametrize("status", [302, 307])
def test_redirected_post_is_not_followed_nor_recorded(on_fake, mapping, learner, course_key,
                                                      django_capture_on_commit_callbacks, *, status):
    # A redirect back to the badge list itself: followed, a 307 would post the learner again and "succeed".
    target = f"{on_fake.api_base_url}organizations/{ORG_ID}/badges"
    on_fake.state.add_faults({"redirect_to": target, "status": status, "method": "POST"})
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    assert badge.state == IssuedBadge.STATE_QUEUED and badge.credly_badge_id == ""
    posts = [entry for entry in on_fake.state.recent_requests(50) if entry["method"] == "POST"]
    assert [entry["status"] for entry in posts] == [status]
    assert on_fake.state.all_badges() == []


# 6. The platform's transaction is never spoiled.


@pytest.mark.django_db(transaction=True)
def test_database_error_in_the_receiver_leaves_the_platform_transaction_usable(mapping, learner, course_key):
    def lock_wait_timeout(execute, sql, params, many, context):
        if sql.upper().startswith("INSERT") and "issuedbadge" in sql.lower():
            raise OperationalError("Lock wait timeout exceeded; try restarting transaction")
        return execute(sql, params, many, context)

    with transaction.atomic():  # the platform saving the certificate
        with connection.execute_wrapper(lock_wait_timeout):
            results = send_certificate(learner, course_key)
        assert all(not isinstance(result, Exception) for _receiver, result in results)
        # The platform's next query in the same transaction works.
        assert get_user_model().objects.filter(pk=learner.pk).exists()
    assert not IssuedBadge.objects.exists()


# 7. Revoked, then granted again: a badge again.


def test_certificate_granted_again_after_revocation_issues_a_new_badge(on_fake, mapping, learner, course_key,
                                                                       django_capture_on_commit_callbacks):
    mapping.revoke_on_certificate_revoked = True
    mapping.save()
    first = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, course_key, status="notpassing", signal=CERTIFICATE_REVOKED)
    first.refresh_from_db()
    assert first.state == IssuedBadge.STATE_REVOKED

    again = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)

    assert again.pk == first.pk and again.state == IssuedBadge.STATE_PENDING
    assert again.credly_badge_id and again.credly_badge_id != first.credly_badge_id
    assert sorted(badge["state"] for badge in on_fake.state.all_badges()) == ["pending", "revoked"]
    assert list(BadgeIssuance.objects.filter(badge=again).values_list("number", "state")) == [
        (1, "revoked"), (2, "pending")]


def test_certificate_granted_again_while_the_revocation_is_on_its_way(on_fake, mapping, learner, course_key,
                                                                      django_capture_on_commit_callbacks):
    mapping.revoke_on_certificate_revoked = True
    mapping.save()
    first = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    real_revoke = CredlyClient.revoke_badge

    def revoke_while_granted_again(client, badge_id, **kwargs):
        data = real_revoke(client, badge_id, **kwargs)
        earn(learner, course_key, django_capture_on_commit_callbacks)  # the certificate is back meanwhile
        return data

    with mock.patch.object(CredlyClient, "revoke_badge", revoke_while_granted_again):
        with django_capture_on_commit_callbacks(execute=True):
            send_certificate(learner, course_key, status="notpassing", signal=CERTIFICATE_REVOKED)
    badge = IssuedBadge.objects.get()
    assert badge.state == IssuedBadge.STATE_PENDING and badge.credly_badge_id != first.credly_badge_id
    assert sorted(each["state"] for each in on_fake.state.all_badges()) == ["pending", "revoked"]


def test_admin_shows_a_badges_issuances(on_fake, mapping, learner, course_key, admin_client,
                                        *, django_capture_on_commit_callbacks):
    mapping.revoke_on_certificate_revoked = True
    mapping.save()
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, course_key, status="notpassing", signal=CERTIFICATE_REVOKED)
    earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    page = admin_client.get(reverse("admin:openedx_credly_issuedbadge_change", args=[badge.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Badge issuances" in text and "Revoked" in text and "Pending acceptance" in text
    listing = admin_client.get(reverse("admin:openedx_credly_issuedbadge_changelist"))
    assert listing.status_code == 200


def test_badge_revoked_on_credly_is_not_granted_again_by_a_repeated_event(on_fake, mapping, learner, course_key,
                                                                          django_capture_on_commit_callbacks):
    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)
    on_fake.state.revoke_badge(ORG_ID, badge.credly_badge_id, "Revoked by the issuer on Credly")
    credly_records.apply_credly_badge(badge, on_fake.state.get_badge(ORG_ID, badge.credly_badge_id))
    earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)  # a certificate saved again
    assert len(on_fake.state.all_badges()) == 1
    assert IssuedBadge.objects.get().state == IssuedBadge.STATE_REVOKED


# 8. Credentials that cannot be decrypted stop loudly.


def test_undecryptable_credentials_pause_the_organization_in_plain_words(settings, mapping, learner, course_key,
                                                                         credly_api, *, organization,
                                                                         django_capture_on_commit_callbacks):
    settings.CREDLY_ENCRYPTION_KEYS = ["the-old-key"]
    CredlyOrganization.objects.filter(pk=organization.pk).update(api_token="tok-under-the-old-key")
    settings.CREDLY_ENCRYPTION_KEYS = ["a-new-key"]  # the old one was dropped
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM openedx_credly_credlyorganization")
        stored = cursor.fetchone()[0]
    with pytest.raises(crypto.SecretUnreadableError):  # never silently ""
        crypto.decrypt(stored)

    badge = earn(learner, course_key, django_capture_on_commit_callbacks, execute=True)

    assert not credly_api.calls
    assert badge.state == IssuedBadge.STATE_QUEUED and current_of(badge).attempts == 0
    organization.refresh_from_db()
    assert organization.connection_lost_at is not None and organization.connection_lost_reason == "undecryptable"
    entry = CredlyErrorLog.objects.get()
    assert "cannot be decrypted with CREDLY_ENCRYPTION_KEYS: restore the old key or reconnect" in entry.details
    # Paused: the sweeper leaves it alone, a delivery waits, nothing loops.
    assert issuance.due_badge_ids(now=timezone.now() + timedelta(hours=1)) == []
    assert delivery.deliver(badge.pk).outcome == "waiting_for_operator"
    assert current_of(badge).attempts == 0 and CredlyErrorLog.objects.count() == 1


def test_key_rotation_refuses_to_overwrite_what_it_cannot_read(settings, organization):
    settings.CREDLY_ENCRYPTION_KEYS = ["the-old-key"]
    CredlyOrganization.objects.filter(pk=organization.pk).update(api_token="tok-under-the-old-key")
    settings.CREDLY_ENCRYPTION_KEYS = ["a-new-key"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM openedx_credly_credlyorganization")
        raw_before = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("credly_rotate_keys")
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM openedx_credly_credlyorganization")
        assert cursor.fetchone()[0] == raw_before != ""
    with pytest.raises(crypto.SecretUnreadableError):
        crypto.decrypt(raw_before)


# 9. Celery details.


def test_sending_task_is_redelivered_when_its_worker_dies():
    for task in (tasks.issue_badge, tasks.revoke_badge, tasks.process_webhook_event):
        assert task.acks_late and task.reject_on_worker_lost


def test_long_waits_are_left_to_the_sweeper_not_the_broker(monkeypatch):
    retries = []
    monkeypatch.setattr(tasks.issue_badge, "retry", lambda **kwargs: retries.append(kwargs) or Exception())
    monkeypatch.setattr(delivery, "deliver", lambda badge_id: retrying.Delivery("retry", retry_in=3600))
    tasks.issue_badge.push_request(is_eager=False)
    try:
        assert tasks.issue_badge.run(1) == "retry"
    finally:
        tasks.issue_badge.pop_request()
    assert not retries  # an hour in Redis would outlive its visibility timeout: the sweeper sends it


def test_periodic_tasks_go_to_the_credly_queue():
    host = types.SimpleNamespace(CREDLY_CELERY_QUEUE="credly")
    common.plugin_settings(host)
    for entry in host.CELERY_BEAT_SCHEDULE.values():
        assert entry["options"]["queue"] == "credly"


@pytest.mark.django_db(transaction=True)
def test_admin_retry_with_the_broker_down_is_no_500(on_fake, mapping, learner, course_key, admin_client,
                                                    *, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.issue_badge, "apply_async", broker_down)
    send_certificate(learner, course_key)  # its enqueue fails too: the badge stays queued
    badge = IssuedBadge.objects.get()
    response = admin_client.post(reverse("admin:openedx_credly_issuedbadge_changelist"),
                                 {"action": "retry_action", "_selected_action": [badge.pk]}, follow=True)
    assert response.status_code == 200
    assert any("task queue could not be reached" in str(message) for message in response.context["messages"])


# 10. One message per badge per transaction.


def test_changed_then_created_in_one_transaction_is_one_message(mapping, learner, course_key, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(tasks.issue_badge, "apply_async", lambda args, **kwargs: sent.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():  # one GeneratedCertificate.save() in the LMS
            CERTIFICATE_CHANGED.send_event(certificate=certificate_data(learner, course_key))
            CERTIFICATE_CREATED.send_event(certificate=certificate_data(learner, course_key))
    assert sent == [IssuedBadge.objects.get().pk]


def test_schedule_outside_a_transaction_sends_at_once(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.revoke_badge, "apply_async", lambda args, **kwargs: sent.append(args[0]))
    with mock.patch.object(connection, "in_atomic_block", False):
        scheduling.after_commit(scheduling.REVOKE_BADGE, [7, 7, 8])
    assert sent == [7, 8]
