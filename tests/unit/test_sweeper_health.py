"""The sweeper's heartbeat: the admin shows its last run, and a stopped Celery beat is warned about."""
import logging
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from openedx_credly import tasks
from openedx_credly.models import CredlyErrorLog, CredlyOrganization, TaskHeartbeat
from openedx_credly.operators import health
from tests.conftest import make_badge

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("operator", "op@example.com", "pw")
    client.force_login(admin)
    return client


def _connected_minutes_ago(organization, minutes):
    CredlyOrganization.objects.filter(pk=organization.pk).update(created=timezone.now() - timedelta(minutes=minutes))


def _beat_last_ran_minutes_ago(minutes):
    TaskHeartbeat.objects.filter(task=health.SWEEPER_TASK).update(
        last_run_at=timezone.now() - timedelta(minutes=minutes))


def _sweeper_warnings(organization):
    return list(organization.error_log.filter(kind=CredlyErrorLog.KIND_CONFIGURATION,
                                              details__contains=health.SWEEPER_TASK))


def test_a_heartbeat_that_cannot_be_written_does_not_stop_the_sweep(monkeypatch, caplog, learner, template):
    badge = make_badge(learner, template, "course-v1:Org+Lost+1", state="queued")
    due = [badge.pk]
    monkeypatch.setattr(tasks.issuance, "due_badge_ids", lambda: due)
    enqueued = []
    monkeypatch.setattr(tasks.scheduling, "enqueue", lambda name, ids: enqueued.extend(ids) or len(ids))

    def locked(*args, **kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(TaskHeartbeat.objects, "filter", locked)
    with caplog.at_level(logging.WARNING, logger="openedx_credly.operators.health"):
        assert tasks.process_queue() == 1
    assert enqueued == due
    assert "Could not record the run of the Credly sweeper" in caplog.text


def test_each_sweep_records_its_run():
    before = timezone.now()
    tasks.process_queue.delay()  # eager in the test host, as beat would send it
    heartbeat = TaskHeartbeat.objects.get(task="openedx_credly.tasks.process_queue")
    assert heartbeat.last_run_at >= before
    tasks.process_queue.delay()
    assert TaskHeartbeat.objects.count() == 1
    assert TaskHeartbeat.objects.get().last_run_at >= heartbeat.last_run_at


def test_beat_stopped_writes_a_warning_to_the_error_logs(organization, caplog):
    tasks.process_queue.delay()
    _connected_minutes_ago(organization, 60)
    assert health.check_sweeper().late_since is None  # it just ran
    assert not _sweeper_warnings(organization)

    _beat_last_ran_minutes_ago(11)  # beat stopped: no run for more than twice the 5-minute period
    with caplog.at_level(logging.ERROR, logger="openedx_credly.operators.health"):
        status = health.check_sweeper()
    assert status.late_since == status.last_run_at
    [warning] = _sweeper_warnings(organization)
    assert warning.error == "Periodic tasks are not running"
    assert "every 5 minutes" in warning.details
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert "Celery beat is probably not running" in caplog.records[0].getMessage()

    # Once per stop: looking again does not pile up warnings.
    caplog.clear()
    health.check_sweeper()
    assert len(_sweeper_warnings(organization)) == 1
    assert caplog.records == []


def test_late_only_past_twice_the_period(organization):
    tasks.process_queue.delay()
    _connected_minutes_ago(organization, 60)
    _beat_last_ran_minutes_ago(9)
    assert health.check_sweeper().late_since is None
    assert not _sweeper_warnings(organization)


@pytest.mark.usefixtures("organization")
def test_period_comes_from_the_beat_schedule(settings):
    settings.CELERYBEAT_SCHEDULE = {"openedx-credly-process-queue": {
        "task": health.SWEEPER_TASK, "schedule": timedelta(hours=1)}}
    settings.CELERY_BEAT_SCHEDULE = {}
    tasks.process_queue.delay()
    _beat_last_ran_minutes_ago(90)
    assert health.sweeper_period() == timedelta(hours=1)
    assert health.check_sweeper().late_since is None
    _beat_last_ran_minutes_ago(121)
    assert health.check_sweeper().late_since is not None


def test_never_ran_counts_from_the_first_connection(organization):
    _connected_minutes_ago(organization, 3)
    assert health.check_sweeper().late_since is None
    _connected_minutes_ago(organization, 20)
    status = health.check_sweeper()
    assert status.last_run_at is None and status.late_since is not None
    assert len(_sweeper_warnings(organization)) == 1


def test_nothing_connected_nothing_late():
    assert health.check_sweeper() == health.SweeperStatus(None, timedelta(minutes=5), None)


def test_admin_shows_the_last_run(admin_client, organization):
    tasks.process_queue.delay()
    _connected_minutes_ago(organization, 60)
    response = admin_client.get(reverse("admin:openedx_credly_credlyorganization_changelist"))
    assert "Periodic tasks are running: the sweeper last ran at" in response.content.decode()


def test_admin_warns_when_beat_stopped(admin_client, organization):
    tasks.process_queue.delay()
    _connected_minutes_ago(organization, 60)
    _beat_last_ran_minutes_ago(30)
    response = admin_client.get(reverse("admin:openedx_credly_credlyerrorlog_changelist"))
    content = response.content.decode()
    assert "Periodic tasks are not running: the sweeper has not run since" in content
    assert "Periodic tasks are not running" in content  # and the entry it wrote, in the list
    assert len(_sweeper_warnings(organization)) == 1
