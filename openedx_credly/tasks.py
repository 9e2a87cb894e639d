"""
Celery tasks: the asynchronous side of openedx-credly, and the only module that imports the domain.

Tasks take ids, never model instances, and are safe to run twice: ``issue_badge``
claims the badge's issuance before sending (see ``issuance``), and the sweeper only
re-enqueues issuances whose claim and retry time have passed. Messages are
acknowledged after the work and redelivered when a worker dies; retries wait at most
``MAX_COUNTDOWN`` in the broker (well under Redis' visibility timeout), longer waits
are left to the sweeper.
"""
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model

from openedx_credly.awarding import backfill, learning_paths, milestones
from openedx_credly.issuing import delivery, issuance, revoking, scheduling
from openedx_credly.models import CourseBadgeTemplate, CredlyOrganization, LearningPath, Milestone
from openedx_credly.operators import health, retention
from openedx_credly.syncing import refresh, template_sync, webhooks

log = logging.getLogger(__name__)

# Longest countdown a retry waits in the broker; Redis redelivers unacknowledged messages
# after its visibility timeout (an hour by default), so a retry never waits near it.
MAX_COUNTDOWN = 600

# The lease of an issuance, and so the soft limit of the task, follows CREDLY_REQUEST_TIMEOUT.
RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


def _retry(task, countdown):
    """Schedule ``task``'s retry, unless the wait is long: then the sweeper sends it when due."""
    if countdown is None or task.request.is_eager or countdown > MAX_COUNTDOWN:
        # Run eagerly (tests, a host without a broker), a retry would run at once, not later.
        return
    try:
        raise task.retry(countdown=countdown, **scheduling.routing())
    except task.MaxRetriesExceededError:  # pragma: no cover - max_retries is None
        pass


@shared_task(bind=True, max_retries=None, name=scheduling.ISSUE_BADGE, soft_time_limit=issuance.soft_time_limit(),
             time_limit=int(issuance.lease().total_seconds()), **RELIABLE)
def issue_badge(self, badge_id):
    """Send one queued badge to Credly; retries itself with the delay ``issuing.delivery`` chose."""
    try:
        result = delivery.deliver(badge_id)
    except SoftTimeLimitExceeded:
        # The claim stays until its lease runs out; the outcome stays unclear, the next attempt looks first.
        log.warning("Sending Credly badge %s took too long; the sweeper tries again after the lease.", badge_id)
        return "time_limit"
    _retry(self, result.retry_in)
    return result.outcome


@shared_task(ignore_result=True, name="openedx_credly.tasks.process_queue")
def process_queue():
    """
    Re-enqueue queued badges whose message was lost (broker restart, killed worker) or whose time
    came, and revocations whose message was lost or whose retries gave up.
    """
    health.record_sweep()  # the admin shows when the sweeper last ran, and warns when beat stops
    count = scheduling.enqueue(scheduling.ISSUE_BADGE, issuance.due_badge_ids())
    revocations = scheduling.enqueue(scheduling.REVOKE_BADGE, issuance.revocations_due())
    if count or revocations:
        log.info("Re-enqueued %s queued Credly badge(s) and %s revocation(s).", count, revocations)
    return count


@shared_task(ignore_result=True, name=scheduling.SYNC_TEMPLATES)
def sync_templates(organization_pk):
    """Sync one organization's badge templates from Credly."""
    organization = CredlyOrganization.objects.filter(pk=organization_pk).first()
    if organization:
        template_sync.sync_templates(organization)


@shared_task(ignore_result=True, name="openedx_credly.tasks.sync_all_templates")
def sync_all_templates():
    """Sync every active organization's badge templates (periodic)."""
    scheduling.enqueue(scheduling.SYNC_TEMPLATES,
                       CredlyOrganization.objects.filter(is_active=True).values_list("pk", flat=True))


@shared_task(ignore_result=True, name=scheduling.BACKFILL_MAPPING)
def backfill_mapping(mapping_pk):
    """Award a course mapping's badge to learners who already earned the course (the admin's action)."""
    mapping = CourseBadgeTemplate.objects.select_related("template__organization").filter(pk=mapping_pk).first()
    if mapping is None or not (mapping.is_active and mapping.template.is_usable):
        return {}
    result = backfill.backfill(mapping.course_id, mappings=[mapping])
    return {"learners": result.learners, "queued": result.queued, "already_had": result.already_had,
            "skipped": result.skipped_total}


@shared_task(ignore_result=True, name=scheduling.REEVALUATE_MILESTONE)
def reevaluate_milestone(milestone_pk):
    """Award a milestone just saved to the learners whose recorded enrollments or completions reach it."""
    return len(milestones.reevaluate(milestone_pk))


@shared_task(ignore_result=True, name=scheduling.REEVALUATE_LEARNER_MILESTONES)
def reevaluate_learner_milestones(user_id):
    """Count a learner's milestones again once the event's transaction committed (overlapping events)."""
    return len(milestones.reevaluate_learner(user_id))


@shared_task(ignore_result=True, name=scheduling.REEVALUATE_LEARNER_PATHS)
def reevaluate_learner_paths(user_id):
    """Evaluate a learner's learning paths again once the event's transaction committed (overlapping events)."""
    return len(learning_paths.reevaluate_learner(user_id))


@shared_task(ignore_result=True, name=scheduling.REEVALUATE_LEARNING_PATH)
def reevaluate_learning_path(path_pk):
    """Award a learning path just saved to the learners whose recorded progress now meets its rule."""
    return len(learning_paths.reevaluate_path(path_pk))


@shared_task(ignore_result=True, name=scheduling.BACKFILL_LEARNING_PATH)
def backfill_learning_path(path_pk):
    """Read the platform's records of a path's courses, then award it to the learners who met it (admin action)."""
    path = LearningPath.objects.select_related("template__organization").filter(pk=path_pk, is_active=True).first()
    if path is None or not path.template.is_usable:
        return {}
    summary = learning_paths.backfill_path(path)
    log.info("Learning path %s backfilled: %s earlier completion(s) found, %s badge(s) queued.", path.pk,
             summary["progress_found"], summary["badges_queued"])
    return summary


@shared_task(ignore_result=True, name=scheduling.BACKFILL_MILESTONE)
def backfill_milestone(milestone_pk):
    """Read the platform's records, then award the milestone to learners who reached it before (the admin's action)."""
    milestone = Milestone.objects.select_related("template__organization").filter(
        pk=milestone_pk, is_active=True).first()
    if milestone is None:
        return {}
    report, _found = milestones.backfill([milestone])
    _milestone, qualified, queued = report[0]
    log.info("Milestone %s backfilled: %s learner(s) reached it, %s badge(s) queued.", milestone.pk, qualified, queued)
    return {"qualified": qualified, "queued": queued}


# ---------------------------------------------------------------- learners' badges kept in step with Credly


@shared_task(bind=True, max_retries=6, name=scheduling.PROCESS_WEBHOOK_EVENT, **RELIABLE)
def process_webhook_event(self, webhook_event_pk):
    """Fetch one notified event from Credly and apply it (see ``webhooks``); retries Credly trouble."""
    result = webhooks.process_event(webhook_event_pk)
    if result.retry:
        try:
            raise self.retry(countdown=min(MAX_COUNTDOWN, 30 * 2 ** self.request.retries), **scheduling.routing())
        except self.MaxRetriesExceededError:
            log.warning("Gave up reading Credly webhook event %s.", webhook_event_pk)
    return result.outcome


@shared_task(ignore_result=True, name="openedx_credly.tasks.refresh_pending_badges")
def refresh_pending_badges(organization_pk=None, limit=None):
    """Re-read pending badges from Credly, least recently checked first (periodic)."""
    organization = CredlyOrganization.objects.filter(pk=organization_pk).first() if organization_pk else None
    stats = refresh.refresh_pending(organization, limit or refresh.refresh_limit())
    if stats.get("changed") or stats.get("gone"):
        log.info("Refreshed pending Credly badges: %s", dict(stats))
    return dict(stats)


@shared_task(ignore_result=True, name=scheduling.IMPORT_BADGES_FOR_USER)
def import_badges_for_user(user_id):
    """Import a learner's earlier badges from every connected organization (first panel view)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return dict(refresh.import_for_user(user)) if user else {}


@shared_task(bind=True, max_retries=8, name=scheduling.REVOKE_BADGE, **RELIABLE)
def revoke_badge(self, badge_id):
    """Revoke one badge on Credly (see ``revoking``); retries Credly trouble with backoff."""
    result = revoking.revoke(badge_id, attempt=self.request.retries)
    if result.retry_in is not None:
        try:
            raise self.retry(countdown=min(MAX_COUNTDOWN, result.retry_in), **scheduling.routing())
        except self.MaxRetriesExceededError:
            revoking.give_up(badge_id, result.outcome)
    return result.outcome


# ---------------------------------------------------------------- webhook flood budget and bounded growth


@shared_task(ignore_result=True, name="openedx_credly.tasks.release_deferred_webhook_events")
def release_deferred_webhook_events():
    """Enqueue webhook events deferred by the flood limit, as far as the budget allows (periodic)."""
    released = webhooks.release_deferred()
    if released:
        log.info("Released %s deferred Credly webhook event(s).", released)
    return released


@shared_task(ignore_result=True, name="openedx_credly.tasks.prune_records")
def prune_records():
    """Delete webhook events and error-log entries older than their retention settings (periodic)."""
    return retention.prune()
