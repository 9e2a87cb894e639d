"""Platform events in: which ones record a badge, what they cost, and that they never break the platform."""
import weakref
from unittest import mock

import pytest
import responses
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CcxCourseData, CcxCoursePassingStatusData
from openedx_events.learning.signals import CCX_COURSE_PASSING_STATUS_UPDATED, CERTIFICATE_CHANGED, CERTIFICATE_CREATED

from openedx_credly.awarding import receivers
from openedx_credly.models import BadgeTemplate, CredlyErrorLog, IssuedBadge
from tests.conftest import make_learner, send_certificate, send_passing, user_data


def _receivers_of(signal):
    refs = [entry[1] for entry in signal.receivers]
    return [ref() if isinstance(ref, weakref.ReferenceType) else ref for ref in refs]


def test_receivers_are_connected_by_the_plugin_mechanism():
    assert receivers.on_certificate_created in _receivers_of(CERTIFICATE_CREATED)
    assert receivers.on_certificate_changed in _receivers_of(CERTIFICATE_CHANGED)
    assert receivers.on_ccx_passing_status_updated in _receivers_of(CCX_COURSE_PASSING_STATUS_UPDATED)


def test_downloadable_certificate_queues_badge(mapping, learner, course_key):
    send_certificate(learner, course_key)
    badge = IssuedBadge.objects.get()
    assert (badge.user, badge.template, badge.course_id) == (learner, mapping.template, course_key)
    assert badge.state == IssuedBadge.STATE_QUEUED
    assert badge.recipient_email == "ada@example.com"
    assert badge.recipient_name == "Ada Lovelace"


@pytest.mark.parametrize("status", ["generating", "notpassing", "unavailable", "audit_passing"])
def test_other_certificate_statuses_record_nothing(mapping, learner, course_key, status):
    send_certificate(learner, course_key, status=status)
    assert not IssuedBadge.objects.exists()


def test_certificate_changed_to_downloadable_queues_badge(mapping, learner, course_key):
    send_certificate(learner, course_key, signal=CERTIFICATE_CHANGED)
    assert IssuedBadge.objects.count() == 1


def test_passing_trigger_needs_passing_event(passing_mapping, learner, course_key):
    send_certificate(learner, course_key)  # a certificate does not serve a "passing" mapping
    send_passing(learner, course_key, is_passing=False)
    assert not IssuedBadge.objects.exists()
    send_passing(learner, course_key, is_passing=True)
    send_passing(learner, course_key, is_passing=True)
    assert IssuedBadge.objects.count() == 1


def test_ccx_passing_uses_master_course_mapping(passing_mapping, learner, course_key):
    ccx_key = CourseKey.from_string(f"ccx-v1:{course_key.org}+{course_key.course}+{course_key.run}+ccx@3")
    CCX_COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=CcxCoursePassingStatusData(
        is_passing=True,
        user=user_data(learner),
        course=CcxCourseData(ccx_course_key=ccx_key, master_course_key=course_key, display_name="CCX"),
    ))
    assert IssuedBadge.objects.get().course_id == course_key


def test_archived_template_records_nothing(mapping, learner, course_key):
    BadgeTemplate.objects.update(state=BadgeTemplate.STATE_ARCHIVED)
    send_certificate(learner, course_key)
    assert not IssuedBadge.objects.exists()


def test_unknown_course_costs_one_query(mapping, learner, django_assert_num_queries):
    other = CourseKey.from_string("course-v1:Other+X+1")
    with django_assert_num_queries(1):
        send_certificate(learner, other)
    assert not IssuedBadge.objects.exists()


def test_mapped_course_costs_at_most_four_queries(mapping, learner, course_key):
    with CaptureQueriesContext(connection) as captured:
        send_certificate(learner, course_key)
    # The savepoint that keeps the platform's transaction safe is not a query of ours.
    queries = [query["sql"] for query in captured.captured_queries
               if not query["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(queries) <= 4, queries
    assert IssuedBadge.objects.count() == 1


def test_missing_email_is_logged_not_sent(mapping, course_key, db):
    learner = make_learner(username="noemail", email="")
    send_certificate(learner, course_key, email="")
    assert not IssuedBadge.objects.exists()
    entry = CredlyErrorLog.objects.get()
    assert entry.kind == CredlyErrorLog.KIND_LEARNER_DATA
    assert "noemail" in entry.details and "no email address" in entry.details


def test_email_missing_from_event_is_taken_from_account(mapping, learner, course_key):
    send_certificate(learner, course_key, email="")
    assert IssuedBadge.objects.get().recipient_email == "ada@example.com"


def test_inactive_learner_is_logged_not_sent(mapping, course_key, db):
    learner = make_learner(username="sleepy", email="s@example.com", is_active=False)
    send_certificate(learner, course_key)
    assert not IssuedBadge.objects.exists()
    assert "inactive" in CredlyErrorLog.objects.get().details


def test_unknown_user_id_is_logged_not_sent(mapping, learner, course_key):
    learner.id = 999999
    send_certificate(learner, course_key)
    assert not IssuedBadge.objects.exists()
    assert "999999" in CredlyErrorLog.objects.get().details


def test_database_failure_never_breaks_the_signal(mapping, learner, course_key, caplog):
    with mock.patch.object(IssuedBadge.objects, "bulk_create", side_effect=DatabaseError("disk full")):
        results = send_certificate(learner, course_key)
    # The platform's send returns normally, the receiver returned normally too (no exception in results).
    assert all(not isinstance(result, Exception) for _receiver, result in results)
    assert "could not record a certificate event" in caplog.text
    assert not IssuedBadge.objects.exists()


def test_receiver_does_no_network_io(mapping, learner, course_key, credly_api):
    send_certificate(learner, course_key)  # on_commit never runs here: nothing is sent yet
    assert not credly_api.calls
    assert IssuedBadge.objects.get().state == IssuedBadge.STATE_QUEUED


def test_two_templates_on_one_course_give_two_badges(mapping, learner, course_key, organization):
    other = BadgeTemplate.objects.create(organization=organization, template_id="t-2", name="Second")
    mapping.__class__.objects.create(course_id=course_key, template=other, trigger=mapping.trigger)
    send_certificate(learner, course_key)
    send_certificate(learner, course_key)
    assert IssuedBadge.objects.count() == 2


def test_inactive_organization_records_nothing(mapping, learner, course_key, organization):
    organization.is_active = False
    organization.save()
    send_certificate(learner, course_key)
    assert not IssuedBadge.objects.exists()


def test_enqueue_failure_leaves_badge_for_the_sweeper(mapping, learner, course_key,
                                                      django_capture_on_commit_callbacks, caplog):
    from openedx_credly import tasks  # pylint: disable=import-outside-toplevel

    with mock.patch.object(tasks.issue_badge, "apply_async", side_effect=ConnectionError("broker down")):
        with django_capture_on_commit_callbacks(execute=True):
            send_certificate(learner, course_key)
    assert IssuedBadge.objects.get().state == IssuedBadge.STATE_QUEUED
    assert "a periodic task will pick it up" in caplog.text


def test_many_learners_one_badge_each(mapping, course_key, credly_api, django_capture_on_commit_callbacks):
    credly_api.add_callback(
        responses.POST, "https://credly.test/v1/organizations/11111111-2222-3333-4444-555555555555/badges",
        callback=lambda request: (201, {}, '{"data": {"id": "x-%d", "state": "pending"}}' % id(request)),
    )
    learners = [make_learner(username=f"u{i}", email=f"u{i}@example.com") for i in range(20)]
    with django_capture_on_commit_callbacks(execute=True):
        for learner in learners * 2:
            send_certificate(learner, course_key)
    assert IssuedBadge.objects.filter(state=IssuedBadge.STATE_PENDING).count() == 20
    assert len(credly_api.calls) == 20
