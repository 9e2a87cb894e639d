"""
A real ``celery beat`` runs the sweeper on a real worker; once beat stops, the admin's check warns.

The sweeper's period is shortened to seconds (``DEVHOST_SWEEP_SECONDS``) in the beat, the
worker and this process alike.
"""
import logging
import signal
import subprocess
import sys
import time

import pytest

from openedx_credly.models import CredlyErrorLog, TaskHeartbeat
from openedx_credly.operators import health
from tests.integration import harness
from tests.integration.conftest import new_queue_name

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = 1.5  # seconds between two sweeps


def _heartbeat():
    return TaskHeartbeat.objects.filter(task=health.SWEEPER_TASK).first()


def test_beat_stopped_warning_in_the_error_log(make_worker_env, organization, settings, tmp_path, caplog):
    for schedule_name in ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"):
        setattr(settings, schedule_name, {"openedx-credly-process-queue": {
            "task": health.SWEEPER_TASK, "schedule": PERIOD}})
    queue = new_queue_name()
    env = make_worker_env(queue, DEVHOST_SWEEP_SECONDS=PERIOD)
    beat_log = tmp_path / "beat.log"
    with harness.WorkerPool(1, env, queue, tmp_path / "workers") as pool, open(beat_log, "wb") as log:
        beat = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-m", "celery", "-A", "devhost", "beat", "--loglevel=INFO",
             f"--schedule={tmp_path / 'celerybeat-schedule'}"],
            cwd=harness.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            first = harness.wait_until(_heartbeat, 60, lambda: f"no sweep\n{beat_log.read_text()}\n{pool.logs()}")
            harness.wait_until(lambda: _heartbeat().last_run_at > first.last_run_at, 30, "beat ran the sweeper once")
            assert health.check_sweeper().late_since is None
        finally:
            beat.send_signal(signal.SIGTERM)
            beat.wait(timeout=30)

        stopped = _heartbeat().last_run_at
        time.sleep(2 * PERIOD + 1)
        assert _heartbeat().last_run_at == stopped  # nothing runs the sweeper any more
        with caplog.at_level(logging.ERROR, logger="openedx_credly.operators.health"):
            status = health.check_sweeper()

    assert status.late_since == stopped
    assert any(record.levelno == logging.ERROR and health.SWEEPER_TASK in record.getMessage()
               for record in caplog.records)
    [warning] = organization.error_log.filter(kind=CredlyErrorLog.KIND_CONFIGURATION)
    assert warning.error == "Periodic tasks are not running"
