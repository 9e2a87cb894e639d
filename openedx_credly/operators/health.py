"""
Is Celery beat running? The sweeper's heartbeat, and the warning when it stops.

The periodic sweeper (``tasks.process_queue``) records each run in a ``TaskHeartbeat``
row (the database, not the cache: a cleared cache would look like a stopped beat). No
periodic task can tell that beat stopped, since beat would be the one to run it: the
check runs where the operator looks, the admin's organization list and error log, and
warns in the Credly error log and the Python error log, once per stop and day.
"""
import logging
from collections import namedtuple
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from openedx_credly.models import CredlyErrorLog, CredlyOrganization, TaskHeartbeat

log = logging.getLogger(__name__)

SWEEPER_TASK = "openedx_credly.tasks.process_queue"
SWEEPER_SCHEDULE_ENTRY = "openedx-credly-process-queue"
DEFAULT_PERIOD = timedelta(minutes=5)

SweeperStatus = namedtuple("SweeperStatus", "last_run_at period late_since")


def record_sweep(now=None):
    """
    The sweeper ran: remember when (one row, updated in place).

    Writes first (an UPDATE, then an INSERT the first time), never a read then a write:
    on SQLite a read lock upgraded to a write one fails at once when workers are writing.
    A heartbeat that cannot be written is logged; the sweep itself goes on.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            if not TaskHeartbeat.objects.filter(task=SWEEPER_TASK).update(last_run_at=now):
                TaskHeartbeat.objects.bulk_create([TaskHeartbeat(task=SWEEPER_TASK, last_run_at=now)],
                                                  ignore_conflicts=True)
    except DatabaseError:
        log.warning("Could not record the run of the Credly sweeper; the sweep goes on.", exc_info=True)


def sweeper_period():
    """How often beat is configured to run the sweeper (its schedule in the Django settings)."""
    for schedule_name in ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"):
        entry = (getattr(settings, schedule_name, None) or {}).get(SWEEPER_SCHEDULE_ENTRY)
        if not entry:
            continue
        schedule = entry.get("schedule")
        if isinstance(schedule, timedelta):
            return schedule
        if isinstance(schedule, (int, float)):
            return timedelta(seconds=schedule)
        run_every = getattr(schedule, "run_every", None)  # celery.schedules.schedule
        if isinstance(run_every, timedelta):
            return run_every
    return DEFAULT_PERIOD


def sweeper_status(now=None):
    """
    When the sweeper last ran, its period, and since when it is late (``None`` if it is not).

    It is late when it has not run for longer than twice its period. Before its first
    run, time counts from the first active organization's connection: with nothing
    connected there is nothing to sweep, so nothing is late.
    """
    now = now or timezone.now()
    period = sweeper_period()
    heartbeat = TaskHeartbeat.objects.filter(task=SWEEPER_TASK).first()
    last_run_at = heartbeat.last_run_at if heartbeat else None
    since = last_run_at or CredlyOrganization.objects.filter(is_active=True).aggregate(first=Min("created"))["first"]
    late = since is not None and now - since > 2 * period
    return SweeperStatus(last_run_at, period, since if late else None)


def check_sweeper(now=None):
    """
    Warn when the sweeper is late: in the Python error log and each active organization's
    Credly error log, at most once a day and once per stop. Returns the status.
    """
    now = now or timezone.now()
    status = sweeper_status(now)
    if status.late_since is None:
        return status
    details = _(
        "The periodic task %(task)s has not run since %(since)s UTC (it should run every %(minutes)s minutes). "
        "Celery beat is probably not running: badges that a broker or worker lost are not sent again, "
        "templates are not synced, pending badges are not refreshed. Run Celery beat for the LMS "
        "(with Tutor, the credly-beat service of tutor-contrib-credly)."
    ) % {
        "task": SWEEPER_TASK,
        "since": status.late_since.strftime("%Y-%m-%d %H:%M:%S"),
        "minutes": int(status.period.total_seconds() // 60),
    }
    warned_since = max(status.last_run_at or status.late_since, now - timedelta(days=1))
    warned = False
    for organization in CredlyOrganization.objects.filter(is_active=True):
        already = organization.error_log.filter(
            kind=CredlyErrorLog.KIND_CONFIGURATION, details__contains=SWEEPER_TASK, created__gte=warned_since,
        ).exists()
        if not already:
            CredlyErrorLog.objects.create(
                organization=organization, kind=CredlyErrorLog.KIND_CONFIGURATION,
                error=_("Periodic tasks are not running"), details=details,
            )
            warned = True
    if warned:
        log.error("openedx-credly: %s", details)
    return status
