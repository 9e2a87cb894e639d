"""
The query budget of a certificate event, as benchmark 1 measures it (``benchmarks/event_overhead.py``).

Each event is sent the way the platform sends it: inside the transaction that saves the
certificate, with the plugin's ``on_commit`` enqueue run at the commit. The platform's
own BEGIN/COMMIT are not the plugin's queries and are not counted. Many learners in a
row, so a per-event cost that grows (or a cache that is never hit) shows.
"""
import pytest
from opaque_keys.edx.keys import CourseKey

from openedx_credly.models import IssuedBadge
from tests.conftest import make_learner, plugin_queries, send_certificate

EVENTS = 25


@pytest.fixture
def learners(db):
    return [make_learner(username=f"budget{n}", email=f"budget{n}@example.com") for n in range(EVENTS)]


@pytest.mark.django_db(transaction=True)
def test_unmapped_course_costs_at_most_one_query_per_event(mapping, learners, enqueued):
    other = CourseKey.from_string("course-v1:Other+Budget+1")
    plugin_queries(lambda: send_certificate(learners[0], other), in_transaction=True)  # per-process caches fill once
    for learner in learners[1:]:
        queries = plugin_queries(lambda learner=learner: send_certificate(learner, other), in_transaction=True)
        assert len(queries) <= 1, queries
    assert not IssuedBadge.objects.exists() and not enqueued


@pytest.mark.django_db(transaction=True)
def test_mapped_course_costs_at_most_four_queries_per_event_and_enqueues_on_commit(mapping, learners, course_key,
                                                                                   enqueued):
    plugin_queries(lambda: send_certificate(learners[0], course_key), in_transaction=True)
    for learner in learners[1:]:
        queries = plugin_queries(lambda learner=learner: send_certificate(learner, course_key), in_transaction=True)
        assert len(queries) <= 4, queries
    assert IssuedBadge.objects.filter(state=IssuedBadge.STATE_QUEUED).count() == EVENTS
    assert sorted(enqueued) == sorted(IssuedBadge.objects.values_list("id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_repeated_event_costs_no_more_and_adds_no_badge(mapping, learners, course_key, enqueued):
    plugin_queries(lambda: send_certificate(learners[0], course_key), in_transaction=True)
    assert len(plugin_queries(lambda: send_certificate(learners[0], course_key), in_transaction=True)) <= 4
    # A badge still queued is enqueued again (harmless: the claim lets one worker send it).
    assert IssuedBadge.objects.count() == 1
    assert set(enqueued) == {IssuedBadge.objects.get().pk}
