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
BACKFILL_MILESTONE = "openedx_credly.tasks.backfill_milestone"
REEVALUATE_MILESTONE = "openedx_credly.tasks.reevaluate_milestone"
REEVALUATE_LEARNER_MILESTONES = "openedx_credly.tasks.reevaluate_learner_milestones"
REEVALUATE_LEARNER_PATHS = "openedx_credly.tasks.reevaluate_learner_paths"
REEVALUATE_LEARNING_PATH = "openedx_credly.tasks.reevaluate_learning_path"
BACKFILL_LEARNING_PATH = "openedx_credly.tasks.backfill_learning_path"

# The attribute of a database connection that holds what its transaction's callbacks sent.
_SENT = "_openedx_credly_sent"


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

    Outside a transaction the ids are enqueued at once. Each call registers its own
    ``on_commit`` callback (so a rolled-back savepoint takes its ids with it), and the
    callbacks of one transaction share what they sent, so an id goes to the broker once.
    """
    ids = list(dict.fromkeys(ids))
    if not ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        enqueue(task_name, ids)
        return
    sent = _sent_in_this_transaction(connection)

    def flush():
        sent["ran"] = True
        fresh = [each for each in ids if (task_name, each) not in sent["keys"]]
        sent["keys"].update((task_name, each) for each in fresh)
        enqueue(task_name, fresh)

    if sent["marker"] is None:
        sent["marker"] = flush
    transaction.on_commit(flush)


def _sent_in_this_transaction(connection):
    """
    What the callbacks of the current transaction sent. A transaction is known by its first
    callback: once one has run (the commit came) or it is gone (rolled back), a new one starts.
    """
    sent = getattr(connection, _SENT, None)
    if sent is None or sent["ran"] or sent["marker"] not in {entry[1] for entry in connection.run_on_commit}:
        sent = {"keys": set(), "marker": None, "ran": False}
        setattr(connection, _SENT, sent)
    return sent
