"""
A flood of forged webhook notifications against a real Celery worker on Redis.

The flood limit counts every event id not confirmed yet, including those whose fetch
is only enqueued: forged ids posted while the worker is stopped, or busy, cost at most
``CREDLY_WEBHOOK_UNCONFIRMED_LIMIT`` calls to Credly. A genuine event that arrives in
the middle of the flood is recorded as deferred and fetched by the periodic release
task (run in the worker) once the budget allows; it is not lost.
"""
import json
import re
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from openedx_credly import tasks
from openedx_credly.issuing import scheduling
from openedx_credly.models import IssuedBadge, WebhookEvent
from tests.conftest import ORG_ID, make_learner
from tests.integration import harness
from tests.integration.conftest import new_queue_name

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 20
# Seconds an unconfirmed id counts against the limit (an hour in production): longer than the worker takes
# to work through the flood on a loaded machine (3 s was not, beside a parallel run), or the budget frees early.
WINDOW = 10
FORGED_BEFORE, FORGED_AFTER, FORGED_WHILE_BUSY = 60, 60, 50
WAIT = 90


def notify(client, event_id, event_type="badge.state.changed"):
    body = {"id": event_id, "organization_id": ORG_ID, "event_type": event_type}
    response = client.post("/api/credly/v1/webhook/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    return response


def fetches(fake):
    return fake.state.stats()["by_route"].get("GET events_show", 0)


def outcomes():
    return dict(Counter(WebhookEvent.objects.values_list("outcome", flat=True)))


def test_forged_flood_costs_at_most_the_limit_and_the_genuine_event_is_fetched_later(
        make_worker_env, publish_to_workers, credly_org, redis_broker, template, *, course_key, settings, tmp_path):
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = LIMIT
    settings.CREDLY_WEBHOOK_UNCONFIRMED_WINDOW = WINDOW
    queue = new_queue_name()
    publish_to_workers(queue)
    fake = credly_org
    learner = make_learner()
    data = fake.state.issue_badge(ORG_ID, {
        "recipient_email": learner.email, "issued_to_first_name": "Ada", "issued_to_last_name": "Lovelace",
        "badge_template_id": template.template_id, "issued_at": "2026-11-25 14:03:00 +0000",
    })
    badge = IssuedBadge.objects.create(user=learner, template=template, course_id=course_key,
                                       recipient_email=learner.email, earned_at="2026-11-25T14:03:00Z",
                                       state=IssuedBadge.STATE_PENDING, credly_badge_id=data["id"])
    fake.state.accept_badge(data["id"])
    genuine = [e for e in fake.state.all_events() if e["event_type"] == "badge.state.changed"][-1]["id"]
    worker = harness.CeleryWorker(
        f"credly-flood-{uuid.uuid4().hex[:6]}",
        make_worker_env(queue, CREDLY_WEBHOOK_UNCONFIRMED_LIMIT=LIMIT, CREDLY_WEBHOOK_UNCONFIRMED_WINDOW=WINDOW),
        queue, tmp_path / "worker.log",
    )
    client = Client()
    try:
        # 1. The worker is stopped: the flood and the genuine event only reach the queue and the table.
        for number in range(FORGED_BEFORE):
            notify(client, f"forged-{number:04}")
        notify(client, genuine)
        for number in range(FORGED_BEFORE, FORGED_BEFORE + FORGED_AFTER):
            notify(client, f"forged-{number:04}")
        assert redis_broker.queue_length(queue) == LIMIT
        assert outcomes() == {WebhookEvent.OUTCOME_RECEIVED: LIMIT,
                              WebhookEvent.OUTCOME_DEFERRED: FORGED_BEFORE + FORGED_AFTER + 1 - LIMIT}
        assert WebhookEvent.objects.get(event_id=genuine).outcome == WebhookEvent.OUTCOME_DEFERRED

        # 2. The worker starts and works through the queue while more forged ids arrive.
        worker.start()
        for number in range(FORGED_WHILE_BUSY):
            notify(client, f"busy-{number:04}")
        harness.wait_until(lambda: redis_broker.idle(queue), WAIT, worker.log_text)
        assert fetches(fake) == LIMIT, "the flood cost more than the limit while the fetches were queued"
        assert WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_UNCONFIRMED).count() == LIMIT

        # 3. The periodic release, in the worker: nothing while the window holds, then LIMIT per window.
        seen = [fetches(fake)]
        assert release(worker, redis_broker, queue) == 0, "released deferred events while the budget was spent"
        assert fetches(fake) == seen[-1]
        rounds = 0
        while WebhookEvent.objects.get(event_id=genuine).outcome == WebhookEvent.OUTCOME_DEFERRED:
            rounds += 1
            assert rounds <= 10, outcomes()
            harness.wait_until(lambda: not WebhookEvent.objects.filter(
                outcome=WebhookEvent.OUTCOME_UNCONFIRMED, processed_at__gt=_ago(WINDOW)).exists(), WAIT)
            assert release(worker, redis_broker, queue) == LIMIT
            seen.append(fetches(fake))
            assert seen[-1] - seen[-2] <= LIMIT, seen
        assert WebhookEvent.objects.get(event_id=genuine).outcome == WebhookEvent.OUTCOME_APPLIED
        badge.refresh_from_db()
        assert badge.state == IssuedBadge.STATE_ACCEPTED  # Credly's news arrived, through the deferred event
        # Oldest first: the genuine event (61st to arrive) went out in the release of deferred 41-60.
        assert rounds == 3, (rounds, seen)
    finally:
        worker.stop()
    print(f"\nWebhook flood with a real worker: {FORGED_BEFORE + FORGED_AFTER + FORGED_WHILE_BUSY} forged ids, "
          f"limit {LIMIT}; fetches while queued/busy {seen[0]}, after each release {seen[1:]}; "
          f"genuine event applied after {rounds} release(s)")


def release(worker, broker, queue):
    """Run the periodic release task in the worker, wait for it and for the fetches it enqueued; its result."""
    done = _RELEASED.findall(worker.log_text())
    tasks.release_deferred_webhook_events.apply_async(**scheduling.routing())
    results = harness.wait_until(lambda: _RELEASED.findall(worker.log_text())[len(done):], WAIT, worker.log_text)
    harness.wait_until(lambda: broker.idle(queue) and not WebhookEvent.objects.filter(
        outcome=WebhookEvent.OUTCOME_RECEIVED).exists(), WAIT, worker.log_text)
    return int(results[0])


_RELEASED = re.compile(r"release_deferred_webhook_events\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (\d+)")


def _ago(seconds):
    return timezone.now() - timedelta(seconds=seconds)
