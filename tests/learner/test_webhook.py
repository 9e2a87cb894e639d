"""``POST /api/credly/v1/webhook/``: notifications from Credly, trusted for two ids only."""
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey

from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyErrorLog, IssuedBadge, WebhookEvent
from tests.conftest import CREDLY_API, ORG_ID, TEMPLATE_ID
from tests.learner.conftest import issue_on_fake, make_badge

URL = "/api/credly/v1/webhook/"
pytestmark = pytest.mark.django_db(transaction=False)


def notify(client, event_id, org_id=ORG_ID, event_type="badge.state.changed", **extra):
    body = {"id": event_id, "organization_id": org_id, "event_type": event_type,
            "occurred_at": "2026-03-14T10:00:00.000Z", **extra}
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def event_fetches(fake):
    return fake.state.stats()["by_route"].get("GET events_show", 0)


def last_event(fake, event_type, badge_id=None):
    events = [e for e in fake.state.all_events() if e["event_type"] == event_type
              and (badge_id is None or e.get("badge", {}).get("id") == badge_id)]
    return events[-1]


def our_badge_on_fake(fake, learner, template, course_key=None):
    """A badge issued on the fake Credly and recorded here, as issuing leaves it."""
    data = issue_on_fake(fake, learner.email, earner_id=f"openedx-user-{learner.pk}")
    return data, make_badge(learner, template, course_id=course_key, credly_badge_id=data["id"],
                            accept_url=data["accept_badge_url"], badge_url=data["badge_url"], state_updated_at=None)


# ---------------------------------------------------------------- malformed bodies


@pytest.mark.parametrize("body", [
    b"not json",
    b"",
    b"[1, 2, 3]",
    b'"just a string"',
    b"\xff\xfe not utf-8",
    json.dumps({"organization_id": ORG_ID, "event_type": "badge.created"}).encode(),  # no id
    json.dumps({"id": "e1", "event_type": "badge.created"}).encode(),  # no organization
    json.dumps({"id": "e1", "organization_id": ORG_ID}).encode(),  # no event type
    json.dumps({"id": 12345, "organization_id": ORG_ID, "event_type": "badge.created"}).encode(),
    json.dumps({"id": "e1", "organization_id": [ORG_ID], "event_type": "badge.created"}).encode(),
    json.dumps({"id": "e1", "organization_id": ORG_ID, "event_type": {"x": 1}}).encode(),
    json.dumps({"id": "../../badges", "organization_id": ORG_ID, "event_type": "badge.created"}).encode(),
    json.dumps({"id": "", "organization_id": ORG_ID, "event_type": "badge.created"}).encode(),
    json.dumps({"id": "e" * 65, "organization_id": ORG_ID, "event_type": "badge.created"}).encode(),
])
def test_malformed_bodies_are_refused(client, organization, body, credly_api):
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["developer_message"]
    assert not WebhookEvent.objects.exists()
    assert len(credly_api.calls) == 0


def test_oversized_body_is_refused(client, organization, settings):
    settings.CREDLY_WEBHOOK_MAX_BODY_BYTES = 1024
    response = notify(client, "e1", padding="x" * 2000)
    assert response.status_code == 400
    assert "larger" in response.json()["developer_message"]
    assert not WebhookEvent.objects.exists()


def test_only_post(client):
    assert client.get(URL).status_code == 405


def test_no_csrf_token_needed(organization, django_capture_on_commit_callbacks):
    strict = Client(enforce_csrf_checks=True)
    with django_capture_on_commit_callbacks(execute=False):
        response = notify(strict, "e-csrf")
    assert response.status_code == 200


# ---------------------------------------------------------------- unknown organization, replays, forgeries


def test_unknown_organization_changes_nothing(client, organization, credly_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = notify(client, "e1", org_id="99999999-9999-9999-9999-999999999999")
    known = notify(client, "e2")
    # Same answer as for a known organization: the endpoint does not say which ones exist.
    assert response.status_code == known.status_code == 200
    assert response.json() == known.json()
    assert not WebhookEvent.objects.filter(event_id="e1").exists()
    assert callbacks == []
    assert len(credly_api.calls) == 0


def test_real_state_change_marks_the_badge_accepted(client, learner, template, fake_org,
                                                    django_capture_on_commit_callbacks):
    data, badge = our_badge_on_fake(fake_org, learner, template)
    fake_org.state.accept_badge(data["id"])
    event = last_event(fake_org, "badge.state.changed", data["id"])

    with django_capture_on_commit_callbacks(execute=True):
        response = notify(client, event["id"])

    assert response.status_code == 200
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_ACCEPTED
    assert badge.accept_url == ""
    assert badge.state_updated_at is not None
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert (stored.outcome, stored.event_type, stored.times_received) == ("applied", "badge.state.changed", 1)
    assert stored.processed_at is not None
    # The learner's panel says so.
    client.force_login(learner)
    item = client.get("/api/credly/v1/badges/").json()["results"][0]
    assert (item["state"], item["accept_url"]) == ("accepted", "")


def test_replayed_event_is_fetched_once(client, learner, template, fake_org, django_capture_on_commit_callbacks):
    data, _badge = our_badge_on_fake(fake_org, learner, template)
    fake_org.state.accept_badge(data["id"])
    event = last_event(fake_org, "badge.state.changed", data["id"])

    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            assert notify(client, event["id"]).status_code == 200

    assert event_fetches(fake_org) == 1
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.times_received == 5
    assert stored.outcome == "applied"
    assert IssuedBadge.objects.count() == 1


def test_replay_while_in_flight_does_not_enqueue_again(client, organization, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as first:
        notify(client, "e-flight")
    with django_capture_on_commit_callbacks(execute=False) as second:
        notify(client, "e-flight")
    assert len(first) == 1 and second == []
    assert WebhookEvent.objects.get(event_id="e-flight").times_received == 2


def test_forged_event_id_changes_nothing(client, learner, template, fake_org, django_capture_on_commit_callbacks):
    data, badge = our_badge_on_fake(fake_org, learner, template)
    with django_capture_on_commit_callbacks(execute=True):
        # A forger claims the badge was accepted (or deleted): Credly knows no such event.
        notify(client, "00000000-dead-beef-0000-000000000000", event_type="badge.deleted",
               badge={"id": data["id"], "state": "revoked"})
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING
    stored = WebhookEvent.objects.get(event_id="00000000-dead-beef-0000-000000000000")
    assert stored.outcome == WebhookEvent.OUTCOME_UNCONFIRMED
    assert event_fetches(fake_org) == 1


def test_event_of_another_organization_is_not_confirmed(client, learner, template, fake_org,
                                                        django_capture_on_commit_callbacks):
    # The forger replays a real event id of an organization that is not ours, under our id.
    other = fake_org.state.add_organization("Someone Else")
    other_template = fake_org.state.add_template(other["id"], "Theirs")
    issue_on_fake(fake_org, learner.email, template_id=other_template["id"], org_id=other["id"])
    foreign_event = last_event(fake_org, "badge.created")
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, foreign_event["id"], event_type="badge.created")
    assert WebhookEvent.objects.get(event_id=foreign_event["id"]).outcome == WebhookEvent.OUTCOME_UNCONFIRMED
    assert not IssuedBadge.objects.exists()


def test_body_event_type_is_not_trusted(client, learner, template, fake_org, django_capture_on_commit_callbacks):
    data, badge = our_badge_on_fake(fake_org, learner, template)
    created = last_event(fake_org, "badge.created", data["id"])
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, created["id"], event_type="badge.deleted")
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING  # Credly says "created", not "deleted"
    assert WebhookEvent.objects.get(event_id=created["id"]).event_type == "badge.created"


@pytest.mark.usefixtures("eager_retries")
def test_credly_trouble_is_retried_and_a_redelivery_after_failure_fetches_again(
        client, learner, template, fake_org, django_capture_on_commit_callbacks):
    data, badge = our_badge_on_fake(fake_org, learner, template)
    fake_org.state.accept_badge(data["id"])
    event = last_event(fake_org, "badge.state.changed", data["id"])
    # More failures than the task's retries: it gives up, the event stays "failed".
    fake_org.state.add_faults({"status": 503, "count": 20, "path_contains": "/events/"})
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"])
    assert WebhookEvent.objects.get(event_id=event["id"]).outcome == WebhookEvent.OUTCOME_FAILED
    assert event_fetches(fake_org) == 7  # the first try and six retries
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_PENDING

    fake_org.state.clear_faults()
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"])
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_ACCEPTED
    assert WebhookEvent.objects.get(event_id=event["id"]).outcome == WebhookEvent.OUTCOME_APPLIED


def test_refused_credentials_are_logged_for_operators(client, learner, template, fake_org,
                                                      django_capture_on_commit_callbacks):
    data, _badge = our_badge_on_fake(fake_org, learner, template)
    event = last_event(fake_org, "badge.created", data["id"])
    fake_org.state.revoke_credentials(ORG_ID)
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"], event_type="badge.created")
    assert WebhookEvent.objects.get(event_id=event["id"]).outcome == WebhookEvent.OUTCOME_FAILED
    entry = CredlyErrorLog.objects.get(kind=CredlyErrorLog.KIND_WEBHOOK)
    assert "credentials" in entry.details


# ---------------------------------------------------------------- what an event does


def test_badge_deleted_on_credly_disappears(client, learner, template, fake_org, django_capture_on_commit_callbacks):
    data, badge = our_badge_on_fake(fake_org, learner, template)
    fake_org.state.delete_badge(data["id"])
    event = last_event(fake_org, "badge.deleted")
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"], event_type="badge.deleted")
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_REVOKED
    client.force_login(learner)
    assert client.get("/api/credly/v1/badges/").json()["count"] == 0


def test_unknown_badge_of_our_template_for_a_known_learner_is_imported(
        client, learner, template, mapping, course_key, *, fake_org, django_capture_on_commit_callbacks):
    data = issue_on_fake(fake_org, learner.email)  # issued on Credly by hand, not through us
    event = last_event(fake_org, "badge.created", data["id"])
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"], event_type="badge.created")
    badge = IssuedBadge.objects.get(credly_badge_id=data["id"])
    assert (badge.user, badge.template, badge.state) == (learner, template, IssuedBadge.STATE_PENDING)
    assert badge.course_id == course_key  # the template maps to exactly one course
    assert badge.accept_url == data["accept_badge_url"]


def test_badge_of_an_unknown_recipient_is_ignored(client, organization, template, fake_org,
                                                  django_capture_on_commit_callbacks):
    data = issue_on_fake(fake_org, "stranger@example.com")
    event = last_event(fake_org, "badge.created", data["id"])
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"], event_type="badge.created")
    assert not IssuedBadge.objects.exists()
    assert WebhookEvent.objects.get(event_id=event["id"]).outcome == WebhookEvent.OUTCOME_IGNORED


def test_template_change_refreshes_the_template(client, template, fake_org, django_capture_on_commit_callbacks):
    fake_org.state.update_template(TEMPLATE_ID, name="Course Finisher (2026)", state="archived")
    event = last_event(fake_org, "badge_template.changed")
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"], event_type="badge_template.changed")
    template.refresh_from_db()
    assert (template.name, template.state) == ("Course Finisher (2026)", BadgeTemplate.STATE_ARCHIVED)


def test_new_template_is_added(client, organization, fake_org, django_capture_on_commit_callbacks):
    created = fake_org.state.add_template(ORG_ID, "Brand New")
    event = last_event(fake_org, "badge_template.created")
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"], event_type="badge_template.created")
    assert BadgeTemplate.objects.get(template_id=created["id"]).organization == organization


def test_answer_does_not_wait_for_credly(client, organization, credly_api, django_capture_on_commit_callbacks):
    # Nothing talks to Credly before the response: the fetch is a task enqueued on commit.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = notify(client, "e-fast")
    assert response.status_code == 200
    assert len(callbacks) == 1
    assert len(credly_api.calls) == 0
    credly_api.get(f"{CREDLY_API}organizations/{ORG_ID}/events/e-fast", status=404, json={"data": {"message": "no"}})
    callbacks[0]()
    assert WebhookEvent.objects.get(event_id="e-fast").outcome == WebhookEvent.OUTCOME_UNCONFIRMED


def test_notification_that_beats_our_own_issuing_creates_no_second_row(
        client, learner, template, course_key, organization, *, fake_org, django_capture_on_commit_callbacks):
    # The template is mapped to two courses, so an import would get no course; our worker is
    # still waiting for Credly's answer to its POST when the notification is processed.
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template)
    CourseBadgeTemplate.objects.create(course_id=CourseKey.from_string("course-v1:Org+Two+2026"), template=template)
    ours = make_badge(learner, template, IssuedBadge.STATE_QUEUED, course_id=course_key,
                      claimed_until=timezone.now() + timedelta(minutes=1), claim_token="worker")
    data = issue_on_fake(fake_org, learner.email, earner_id=f"openedx-user-{learner.pk}")
    event = last_event(fake_org, "badge.created", data["id"])
    with django_capture_on_commit_callbacks(execute=True):
        notify(client, event["id"], event_type="badge.created")
    assert list(IssuedBadge.objects.values_list("pk", flat=True)) == [ours.pk]
