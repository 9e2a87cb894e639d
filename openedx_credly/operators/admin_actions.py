"""
What the admin's actions that hand work to Celery share: enqueue it, then say in plain words what happened.

A backfill reads a whole course's (or path's, or site's) records: too much for one web
request, so the admin only enqueues it (``scheduling``) and the worker's log gives the summary.
"""
from django.contrib import messages
from django.utils.translation import gettext as _

from openedx_credly.issuing import scheduling


def start_backfill(model_admin, request, task_name, pk, *, name, command):
    """Enqueue ``task_name`` for ``pk``; tell the operator it runs, or that the queue is down and ``command`` helps."""
    if scheduling.enqueue(task_name, [pk]):
        model_admin.message_user(request, _(
            "%(mapping)s: the backfill runs in the background; its badges appear in the issued badges "
            "list as they are queued, and the worker's log gives the summary."
        ) % {"mapping": name})
        return True
    model_admin.message_user(request, _(
        "%(name)s: the task queue could not be reached, nothing was started. Try again later, or run "
        "manage.py %(command)s."
    ) % {"name": name, "command": command}, messages.ERROR)
    return False
