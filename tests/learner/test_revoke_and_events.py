"""Certificate revoked → badge revoked on Credly; BADGE_AWARDED / BADGE_REVOKED announced."""
from datetime import timedelta

import pytest
from django.utils import timezone
from openedx_events.learning.signals import BADGE_AWARDED, BADGE_REVOKED

from openedx_credly.issuing import badge_events, issuance, revoking
from openedx_credly.models import CredlyErrorLog, IssuedBadge
from tests.conftest import CERTIFICATE_REVOKED, ORG_ID, send_certificate
from tests.learner.conftest import issue_on_fake, make_badge

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    """Every BADGE_AWARDED / BADGE_REVOKED sent during the test, as (event type, BadgeData)."""
    seen = []

    def awarded(signal, sender, badge, metadata, **kwargs):  # pylint: disable=unused-argument
        seen.append(("awarded", badge))

    def revoked(signal, sender, badge, metadata, **kwargs):  # pylint: disable=unused-argument
        seen.append(("revoked", badge))

    BADGE_AWARDED.connect(awarded)
    BADGE_REVOKED.connect(revoked)
    yield seen
    BADGE_AWARDED.disconnect(awarded)
    BADGE_REVOKED.disconnect(revoked)


@pytest.fixture
def revoking_mapping(mapping):
    mapping.revoke_on_certificate_revoked = True
    mapping.save()
    return mapping


def badge_on_fake(fake, learner, template, course_key):
    data = issue_on_fake(fake, learner.email, earner_id=f"openedx-user-{learner.pk}")
    return data, make_badge(learner, template, course_id=course_key, credly_badge_id=data["id"], state_updated_at=None)


def revoke_certificate(learner, course_key, capture, execute=True):
    with capture(execute=execute) as callbacks:
        send_certificate(learner, course_key, status="notpassing", signal=CERTIFICATE_REVOKED)
    return callbacks


def test_revoked_certificate_revokes_the_badge_on_credly(client, learner, template, course_key, revoking_mapping,
                                                         *, fake_org, announced, django_capture_on_commit_callbacks):
    data, badge = badge_on_fake(fake_org, learner, template, course_key)

    revoke_certificate(learner, course_key, django_capture_on_commit_callbacks)

    on_credly = fake_org.state.get_badge(ORG_ID, data["id"])
    assert on_credly["state"] == "revoked"
    assert on_credly["revocation_reason"] == revoking.certificate_revoked_reason()
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_REVOKED
    client.force_login(learner)
    assert client.get("/api/credly/v1/badges/").json()["count"] == 0
    assert "Course Finisher" not in client.get("/credly/profile/badges/").content.decode()
    assert [(kind, event.uuid) for kind, event in announced] == [("revoked", data["id"])]
    event = announced[0][1]
    assert (event.template.uuid, event.template.origin, event.user.id) == (template.template_id, "credly", learner.pk)


def test_receiver_does_no_network_io(learner, template, course_key, revoking_mapping, credly_api,
                                     *, django_capture_on_commit_callbacks):
    make_badge(learner, template, course_id=course_key)
    callbacks = revoke_certificate(learner, course_key, django_capture_on_commit_callbacks, execute=False)
    assert len(callbacks) == 1
    assert len(credly_api.calls) == 0


def test_mapping_without_revocation_keeps_the_badge(learner, template, course_key, mapping, fake_org,
                                                    *, django_capture_on_commit_callbacks):
    data, badge = badge_on_fake(fake_org, learner, template, course_key)
    callbacks = revoke_certificate(learner, course_key, django_capture_on_commit_callbacks)
    assert callbacks == []
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING
    assert fake_org.state.get_badge(ORG_ID, data["id"])["state"] == "pending"


def test_queued_badge_is_never_sent(learner, template, course_key, revoking_mapping, credly_api, *, announced,
                                    django_capture_on_commit_callbacks):
    badge = make_badge(learner, template, IssuedBadge.STATE_QUEUED, course_id=course_key)
    revoke_certificate(learner, course_key, django_capture_on_commit_callbacks)
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_REVOKED
    assert len(credly_api.calls) == 0
    assert announced == []  # never announced as awarded, so not as revoked either


def test_badge_being_sent_is_revoked_after_the_worker_is_done(learner, template, course_key, revoking_mapping):
    badge = make_badge(learner, template, IssuedBadge.STATE_QUEUED, course_id=course_key,
                       claimed_until=timezone.now() + timedelta(minutes=1), claim_token="worker")
    assert issuance.request_revocation([badge.pk]) == [badge.pk]  # what the receiver does
    result = revoking.revoke(badge.pk)
    assert result.outcome == "busy" and result.retry_in > 0
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_QUEUED


@pytest.mark.usefixtures("eager_retries")
def test_credly_trouble_is_retried(learner, template, course_key, revoking_mapping, fake_org,
                                   *, django_capture_on_commit_callbacks):
    data, badge = badge_on_fake(fake_org, learner, template, course_key)
    fake_org.state.add_faults({"status": 502, "count": 2, "path_contains": "/revoke"})
    revoke_certificate(learner, course_key, django_capture_on_commit_callbacks)
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_REVOKED
    assert fake_org.state.get_badge(ORG_ID, data["id"])["state"] == "revoked"


@pytest.mark.usefixtures("eager_retries")
def test_giving_up_is_logged_for_operators(learner, template, course_key, revoking_mapping, fake_org,
                                           *, django_capture_on_commit_callbacks):
    _data, badge = badge_on_fake(fake_org, learner, template, course_key)
    fake_org.state.add_faults({"status": 503, "count": 50, "path_contains": "/revoke"})
    revoke_certificate(learner, course_key, django_capture_on_commit_callbacks)
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING
    entry = CredlyErrorLog.objects.get(kind=CredlyErrorLog.KIND_REVOKE_FAILED)
    assert "Revoke it on Credly by hand" in entry.details and entry.badge == badge


def test_badge_already_gone_from_credly(learner, template, course_key, revoking_mapping, fake_org, *, announced,
                                        django_capture_on_commit_callbacks):
    data, badge = badge_on_fake(fake_org, learner, template, course_key)
    fake_org.state.delete_badge(data["id"])
    revoke_certificate(learner, course_key, django_capture_on_commit_callbacks)
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_REVOKED
    assert [kind for kind, _ in announced] == ["revoked"]


def test_issuing_announces_badge_awarded(learner, template, course_key, mapping, fake_org, *, announced,
                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, course_key)
    badge = IssuedBadge.objects.get(user=learner)
    assert badge.state == IssuedBadge.STATE_PENDING
    assert [(kind, event.uuid) for kind, event in announced] == [("awarded", badge.credly_badge_id)]
    event = announced[0][1]
    assert event.user.pii.email == learner.email and event.user.pii.username == "ada"
    assert (event.template.uuid, event.template.origin, event.template.name) == (
        template.template_id, "credly", "Course Finisher")


def test_a_failing_announcement_never_breaks_issuing(learner, template, course_key, mapping, fake_org, *, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("event bus down")

    monkeypatch.setattr(BADGE_AWARDED, "send_event", broken)
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, course_key)
    assert IssuedBadge.objects.get(user=learner).state == IssuedBadge.STATE_PENDING
    assert badge_events.badge_awarded(IssuedBadge.objects.get(user=learner)) is False


def test_granted_again_before_the_revocation_ran_keeps_the_badge(learner, template, course_key, revoking_mapping,
                                                                 fake_org, *, django_capture_on_commit_callbacks):
    data, badge = badge_on_fake(fake_org, learner, template, course_key)
    revoke_certificate(learner, course_key, django_capture_on_commit_callbacks, execute=False)  # task not run yet
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, course_key)  # the certificate is back
    assert revoking.revoke(badge.pk).outcome == "withdrawn"
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING
    assert fake_org.state.get_badge(ORG_ID, data["id"])["state"] == "pending"
