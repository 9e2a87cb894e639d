"""
Celery tasks: the asynchronous side of openedx-credly.

Tasks take ids, never model instances, and are safe to run twice: ``issue_badge``
claims its row before sending (see ``issuing``), and the sweeper only re-enqueues
rows whose claim and retry time have passed.
"""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from openedx_credly import issuing
from openedx_credly.models import CredlyOrganization, IssuedBadge

log = logging.getLogger(__name__)

# How many queued badges one sweep re-enqueues; the next sweep takes the rest.
SWEEP_BATCH = 5000


def routing():
    """Options for ``apply_async`` that route our tasks to the operator's queue, if set."""
    queue = getattr(settings, "CREDLY_CELERY_QUEUE", None)
    return {"queue": queue} if queue else {}


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None, name="openedx_credly.tasks.issue_badge")
def issue_badge(self, badge_id):
    """Send one queued badge to Credly; retries itself with the delay ``issuing`` chose."""
    delivery = issuing.deliver(badge_id)
    # Run eagerly (tests, a host without a broker), a retry would run at once, not later:
    # the badge stays queued with its retry time and process_queue sends it when due.
    if delivery.retry_in is not None and not self.request.is_eager:
        try:
            raise self.retry(countdown=delivery.retry_in, **routing())
        except self.MaxRetriesExceededError:  # pragma: no cover - max_retries is None
            pass
    return delivery.outcome


def due_badges(now=None, limit=SWEEP_BATCH):
    """
    Ids of queued badges that nobody is working on and whose time has come.

    A badge is due when it has no claim (or its claim ran out), its retry time has
    passed, it has waited past the grace period, and its organization can issue.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=int(settings.CREDLY_QUEUE_GRACE_PERIOD))
    blocked = CredlyOrganization.objects.filter(
        Q(is_active=False) | Q(connection_lost_at__isnull=False) | Q(issuing_paused_until__gt=now)
    )
    return list(
        IssuedBadge.objects.filter(state=IssuedBadge.STATE_QUEUED, modified__lt=now - grace)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now))
        .exclude(template__organization__in=blocked)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def enqueue_after_commit(task, badge_ids):
    """
    Enqueue ``task`` for each badge once the current transaction commits.

    A broker that cannot be reached is logged, never raised: the rows stay as they
    are, and the periodic tasks pick them up.
    """
    badge_ids = list(badge_ids)
    if not badge_ids:
        return

    def send():
        for badge_id in badge_ids:
            try:
                task.apply_async(args=[badge_id], **routing())
            except Exception:  # pylint: disable=broad-except
                log.exception("Could not enqueue %s for Credly badge %s; a periodic task will pick it up.",
                              task.name, badge_id)

    transaction.on_commit(send)


def enqueue(badge_ids):
    """Send each badge id to the issuing task; returns how many were enqueued."""
    sent = 0
    for badge_id in badge_ids:
        issue_badge.apply_async(args=[badge_id], **routing())
        sent += 1
    return sent


@shared_task(ignore_result=True, name="openedx_credly.tasks.process_queue")
def process_queue():
    """Re-enqueue queued badges whose message was lost (broker restart, killed worker)."""
    from openedx_credly import health  # pylint: disable=import-outside-toplevel
    health.record_sweep()  # the admin shows it, and warns when beat stops
    count = enqueue(due_badges())
    if count:
        log.info("Re-enqueued %s queued Credly badge(s).", count)
    return count


def resume_organization(organization_id):
    """After an operator reconnects an organization, send what waited for it."""
    badge_ids = IssuedBadge.objects.filter(
        template__organization_id=organization_id, state=IssuedBadge.STATE_QUEUED,
    ).values_list("id", flat=True)
    return enqueue(list(badge_ids))


@shared_task(ignore_result=True, name="openedx_credly.tasks.sync_templates")
def sync_templates(organization_pk):
    """Sync one organization's badge templates from Credly."""
    from openedx_credly import sync  # pylint: disable=import-outside-toplevel

    organization = CredlyOrganization.objects.filter(pk=organization_pk).first()
    if organization:
        sync.sync_templates(organization)


@shared_task(ignore_result=True, name="openedx_credly.tasks.sync_all_templates")
def sync_all_templates():
    """Sync every active organization's badge templates (periodic)."""
    for organization_pk in CredlyOrganization.objects.filter(is_active=True).values_list("pk", flat=True):
        sync_templates.apply_async(args=[organization_pk], **routing())


# ---------------------------------------------------------------- learners' badges kept in step with Credly


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=6,
             name="openedx_credly.tasks.process_webhook_event")
def process_webhook_event(self, webhook_event_pk):
    """Fetch one notified event from Credly and apply it (see ``webhooks``); retries Credly trouble."""
    from openedx_credly import webhooks  # pylint: disable=import-outside-toplevel

    result = webhooks.process_event(webhook_event_pk)
    if result.retry:
        try:
            raise self.retry(countdown=min(3600, 30 * 2 ** self.request.retries), **routing())
        except self.MaxRetriesExceededError:
            log.warning("Gave up reading Credly webhook event %s.", webhook_event_pk)
    return result.outcome


@shared_task(ignore_result=True, name="openedx_credly.tasks.refresh_pending_badges")
def refresh_pending_badges(organization_pk=None, limit=None):
    """Re-read pending badges from Credly, least recently checked first (periodic)."""
    from openedx_credly import refresh  # pylint: disable=import-outside-toplevel

    organization = CredlyOrganization.objects.filter(pk=organization_pk).first() if organization_pk else None
    stats = refresh.refresh_pending(organization, limit or refresh.refresh_limit())
    if stats.get("changed") or stats.get("gone"):
        log.info("Refreshed pending Credly badges: %s", dict(stats))
    return dict(stats)


@shared_task(ignore_result=True, name="openedx_credly.tasks.import_badges_for_user")
def import_badges_for_user(user_id):
    """Import a learner's earlier badges from every connected organization (first panel view)."""
    from django.contrib.auth import get_user_model  # pylint: disable=import-outside-toplevel

    from openedx_credly import refresh  # pylint: disable=import-outside-toplevel

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return dict(refresh.import_for_user(user)) if user else {}


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8, name="openedx_credly.tasks.revoke_badge")
def revoke_badge(self, badge_id):
    """Revoke one badge on Credly (see ``revoking``); retries Credly trouble with backoff."""
    from openedx_credly import revoking  # pylint: disable=import-outside-toplevel

    result = revoking.revoke(badge_id, attempt=self.request.retries)
    if result.retry_in is not None:
        try:
            raise self.retry(countdown=result.retry_in, **routing())
        except self.MaxRetriesExceededError:
            revoking.give_up(badge_id, result.outcome)
    return result.outcome


# ---------------------------------------------------------------- webhook flood budget and bounded growth


@shared_task(ignore_result=True, name="openedx_credly.tasks.release_deferred_webhook_events")
def release_deferred_webhook_events():
    """Enqueue webhook events deferred by the flood limit, as far as the budget allows (periodic)."""
    from openedx_credly import webhooks  # pylint: disable=import-outside-toplevel

    released = webhooks.release_deferred()
    if released:
        log.info("Released %s deferred Credly webhook event(s).", released)
    return released


@shared_task(ignore_result=True, name="openedx_credly.tasks.prune_records")
def prune_records():
    """Delete webhook events and error-log entries older than their retention settings (periodic)."""
    from openedx_credly import retention  # pylint: disable=import-outside-toplevel

    return retention.prune()
