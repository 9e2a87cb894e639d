"""The demo's in-process Celery beat: the plugin's schedule, each task once at start, then once per period."""
from datetime import timedelta

import pytest

from demo import periodic
from openedx_credly.models import CredlyOrganization, TaskHeartbeat
from openedx_credly.operators import health


def test_the_schedule_is_the_plugins_beat_schedule(settings):
    tasks = {task.task: task for task in periodic.schedule_from_settings()}
    assert tasks["openedx_credly.tasks.process_queue"].period == 300
    assert tasks["openedx_credly.tasks.prune_records"].period == 86400
    assert set(tasks) == {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
                          if entry["task"].startswith("openedx_credly.")}


def test_a_number_of_seconds_is_a_period_too():
    task = periodic.PeriodicTask.from_schedule("n", {"task": "t", "schedule": 7.5, "options": {"queue": "q"}})
    assert (task.period, task.options) == (7.5, {"queue": "q"})


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_runs_each_task_at_start_then_once_per_period(monkeypatch):
    sent = []
    tasks = [periodic.PeriodicTask("fast", "fast.task", 10, {}), periodic.PeriodicTask("slow", "slow.task", 100, {})]
    clock = FakeClock()
    runner = periodic.PeriodicRunner(tasks, clock=clock)
    monkeypatch.setattr(runner, "run_once", lambda task: sent.append((clock.now, task.name)))
    monkeypatch.setattr("django.db.close_old_connections", lambda: None)  # the thread's own, in the demo
    waits = iter([0, 10, 20, 30])

    def wait(timeout):
        try:
            clock.now = next(waits) + 10
        except StopIteration:
            runner._stopped.set()  # pylint: disable=protected-access
        return runner._stopped.is_set()  # pylint: disable=protected-access

    monkeypatch.setattr(runner._stopped, "wait", wait)  # pylint: disable=protected-access
    runner._loop()  # pylint: disable=protected-access
    assert sent == [(0.0, "fast"), (0.0, "slow"), (10, "fast"), (20, "fast"), (30, "fast"), (40, "fast")]


@pytest.mark.django_db
def test_with_the_demo_running_the_sweeper_the_admin_sees_periodic_tasks_running(organization):
    """What the demo's admin shows ten minutes in: no "Periodic tasks are not running"."""
    CredlyOrganization.objects.update(created=health.timezone.now() - timedelta(minutes=30))
    sweeper = next(task for task in periodic.schedule_from_settings() if task.name == "openedx-credly-process-queue")
    runner = periodic.PeriodicRunner([sweeper])
    runner.run_once(sweeper)  # eager in tests: the task runs here, as in the demo without a broker
    assert runner.runs == {"openedx-credly-process-queue": 1}
    assert TaskHeartbeat.objects.filter(task=health.SWEEPER_TASK).exists()
    assert health.check_sweeper().late_since is None
    assert not organization.error_log.filter(error="Periodic tasks are not running").exists()


@pytest.mark.django_db
def test_a_failing_task_is_logged_and_the_schedule_goes_on(caplog):
    runner = periodic.PeriodicRunner([])
    runner.run_once(periodic.PeriodicTask("broken", "openedx_credly.tasks.no_such_task", 60, {}))
    assert runner.runs == {}
    assert "no_such_task failed" in caplog.text
