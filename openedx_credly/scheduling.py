"""
Handing work to Celery: by task name, after the commit, routed to ``CREDLY_CELERY_QUEUE``.

Domain modules call this instead of importing ``tasks`` (which imports them): the
names below are the only link. ``after_commit`` collects ids per transaction, so a
badge scheduled twice in one transaction (the LMS sends ``CERTIFICATE_CHANGED`` then
``CERTIFICATE_CREATED`` for one save) costs one message. A broker that cannot be
reached is logged, never raised: the rows stay as they are and the sweeper sends them.
"""
import logging

from celery import current_app
from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

ISSUE_BADGE = "openedx_credly.tasks.issue_badge"
REVOKE_BADGE = "openedx_credly.tasks.revoke_badge"
PROCESS_WEBHOOK_EVENT = "openedx_credly.tasks.process_webhook_event"
IMPORT_BADGES_FOR_USER = "openedx_credly.tasks.import_badges_for_user"
SYNC_TEMPLATES = "openedx_credly.tasks.sync_templates"
BACKFILL_MAPPING = "openedx_credly.tasks.backfill_mapping"

# The attribute of a database connection that holds the ids scheduled in its transaction.
_PENDING = "_openedx_credly_pending"


def routing():
    """Options for ``apply_async`` that route our tasks to the operator's queue, if set."""
    queue = getattr(settings, "CREDLY_CELERY_QUEUE", None)
    return {"queue": queue} if queue else {}


def send(task_name, *args):
    """Enqueue one task now; returns whether the broker took it (failures are logged)."""
    try:
        task = current_app.tasks.get(task_name)
        if task is not None:  # registered here: eager mode and the task's own options apply
            task.apply_async(args=list(args), **routing())
        else:
            current_app.send_task(task_name, args=list(args), **routing())
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not enqueue %s for %r; a periodic task will pick it up.", task_name, args)
        return False
    return True


def enqueue(task_name, ids):
    """Enqueue ``task_name`` once for each id, now; returns how many the broker took."""
    return sum(1 for each in dict.fromkeys(ids) if send(task_name, each))


def after_commit(task_name, ids):
    """
    Enqueue ``task_name`` for each id once the current transaction commits, each id once.

    Outside a transaction the ids are enqueued at once. Ids of rows that a rolled-back
    savepoint took away may still be sent: the tasks find nothing to do for them.
    """
    ids = list(ids)
    if not ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        enqueue(task_name, ids)
        return
    pending = getattr(connection, _PENDING, None)
    registered = {entry[1] for entry in connection.run_on_commit}
    if pending is None or pending["flush"] not in registered:
        pending = {"ids": {}}

        def flush():
            if getattr(connection, _PENDING, None) is pending:
                delattr(connection, _PENDING)
            for name, scheduled in pending["ids"].items():
                enqueue(name, scheduled)

        pending["flush"] = flush
        setattr(connection, _PENDING, pending)
        transaction.on_commit(flush)
    scheduled = pending["ids"].setdefault(task_name, {})
    for each in ids:
        scheduled[each] = None
