"""
The query budget of a certificate event, as benchmark 1 measures it (``benchmarks/event_overhead.py``).

Each event is sent the way the platform sends it: inside the transaction that saves the
certificate, with the plugin's ``on_commit`` enqueue run at the commit. The platform's
own BEGIN/COMMIT are not the plugin's queries and are not counted. Many learners in a
row, so a per-event cost that grows (or a cache that is never hit) shows.
"""
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from opaque_keys.edx.keys import CourseKey

from openedx_credly import tasks
from openedx_credly.models import IssuedBadge
from tests.conftest import make_learner, send_certificate

TRANSACTION_SQL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
EVENTS = 25


def _plugin_queries(send):
    with CaptureQueriesContext(connection) as captured:
        send()
    return [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(TRANSACTION_SQL)]


@pytest.fixture
def learners(db):
    return [make_learner(username=f"budget{n}", email=f"budget{n}@example.com") for n in range(EVENTS)]


@pytest.fixture
def enqueued(monkeypatch):
    """The ids the on_commit callback hands to the broker (nothing is sent)."""
    sent = []
    monkeypatch.setattr(tasks.issue_badge, "apply_async", lambda args, **kwargs: sent.append(args[0]))
    return sent


def _send_in_platform_transaction(learner, course_key):
    def send():
        with transaction.atomic():
            send_certificate(learner, course_key)
    return send


@pytest.mark.django_db(transaction=True)
def test_unmapped_course_costs_at_most_one_query_per_event(mapping, learners, enqueued):
    other = CourseKey.from_string("course-v1:Other+Budget+1")
    _plugin_queries(_send_in_platform_transaction(learners[0], other))  # per-process caches fill once
    for learner in learners[1:]:
        queries = _plugin_queries(_send_in_platform_transaction(learner, other))
        assert len(queries) <= 1, queries
    assert not IssuedBadge.objects.exists() and not enqueued


@pytest.mark.django_db(transaction=True)
def test_mapped_course_costs_at_most_four_queries_per_event_and_enqueues_on_commit(mapping, learners, course_key,
                                                                                   enqueued):
    _plugin_queries(_send_in_platform_transaction(learners[0], course_key))
    for learner in learners[1:]:
        queries = _plugin_queries(_send_in_platform_transaction(learner, course_key))
        assert len(queries) <= 4, queries
    assert IssuedBadge.objects.filter(state=IssuedBadge.STATE_QUEUED).count() == EVENTS
    assert sorted(enqueued) == sorted(IssuedBadge.objects.values_list("id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_repeated_event_costs_no_more_and_adds_no_badge(mapping, learners, course_key, enqueued):
    send = _send_in_platform_transaction(learners[0], course_key)
    send()
    assert len(_plugin_queries(send)) <= 4
    # A badge still queued is enqueued again (harmless: the claim lets one worker send it).
    assert IssuedBadge.objects.count() == 1
    assert set(enqueued) == {IssuedBadge.objects.get().pk}
