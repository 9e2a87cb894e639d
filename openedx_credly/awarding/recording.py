"""
The one place that decides "should this learner get this badge", and records it.

Receivers, the backfill command, the single-learner command and the admin all come
here. Recording is a database insert that the unique constraint on ``IssuedBadge``
turns into a no-op for an achievement already recorded (an achievement the platform
had taken back gets a new issuance); sending happens later, in a Celery task
scheduled once the caller's transaction commits.
"""
import logging

from django.contrib.auth import get_user_model
from django.db import transaction

from openedx_credly import errorlog
from openedx_credly.awarding import award_rules, learning_paths, milestones
from openedx_credly.awarding.achievements import Achievement, learner_problem
from openedx_credly.issuing import issuance, scheduling
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, IssuedBadge
from openedx_credly.models.rules import expires_at
from openedx_credly.platform import get_platform

__all__ = ["Achievement", "active_mappings", "record_achievement", "schedule_sending"]

log = logging.getLogger(__name__)


def active_mappings(course_key, trigger):
    """
    The course's mappings for ``trigger`` whose template can issue now: one indexed query.

    The organization is joined to filter, not loaded: loading it would decrypt its
    secrets on every platform event, and only the rare error path needs it.
    """
    return list(
        CourseBadgeTemplate.objects.filter(
            course_id=course_key,
            trigger=trigger,
            is_active=True,
            template__state=BadgeTemplate.STATE_ACTIVE,
            template__organization__is_active=True,
        ).select_related("template")
    )


def record_achievement(achievement, mappings=None):
    """
    Record the badges ``achievement`` earns and schedule their sending.

    First the course's own badges, then the progress it makes on learning paths (with
    a path's badge once its rule is met; no query when the course is in no path).
    Returns the ids of the badges scheduled (empty when the achievement earns nothing,
    or every badge was already recorded and sent).
    """
    scheduled = _record_course_badges(achievement, mappings)
    return (scheduled + learning_paths.record_progress_safely(achievement)
            + milestones.record_completion_safely(achievement))


def record_course_badges(achievement, mappings):
    """Only the course's own badges of ``record_achievement`` (the grade events' way in)."""
    return _record_course_badges(achievement, mappings)


def _record_course_badges(achievement, mappings):
    """The course's own badges of ``record_achievement``."""
    if mappings is None:
        mappings = active_mappings(achievement.course_key, achievement.trigger)
    mappings = award_rules.awarding_mappings(mappings, achievement)
    if not mappings:
        return []

    user = get_user_model().objects.filter(pk=achievement.user_id).first()
    problem = learner_problem(user, achievement)
    if problem:
        for organization in {mapping.template.organization for mapping in mappings}:
            errorlog.learner_data_incomplete(
                organization, achievement.course_key, achievement.username or getattr(user, "username", ""), problem,
                learner_id=getattr(user, "pk", None),
            )
        return []

    email = achievement.email or user.email
    full_name = achievement.full_name or get_platform().get_full_name(user) or ""
    if not full_name.strip():
        log.info("User %s has no full name; their username stands in for it on Credly.", user.pk)
    mapping_of = {mapping.template_id: mapping for mapping in mappings}
    template_ids = list(mapping_of)
    # A savepoint of its own: a database error here must not spoil the platform's transaction.
    with transaction.atomic():
        # One INSERT that skips rows already there: the unique constraint makes a repeated
        # event a no-op, and nothing raises into the platform's transaction.
        IssuedBadge.objects.bulk_create(
            [
                IssuedBadge(
                    user_id=user.pk,
                    template_id=mapping.template_id,
                    course_id=achievement.course_key,
                    recipient_email=email,
                    recipient_name=full_name.strip(),
                    earned_at=achievement.earned_at,
                    expires_at=expires_at(achievement.earned_at, mapping.expires_in_months),
                    trigger_event_type=achievement.event_type,
                    trigger_event_id=str(achievement.event_id or ""),
                )
                for mapping in mappings
            ],
            ignore_conflicts=True,
        )
        queued = []
        for badge_id, template_id, state, issuance_id, next_attempt_at, revoke_requested in IssuedBadge.objects.filter(
            user_id=user.pk, course_id=achievement.course_key, template_id__in=template_ids,
        ).values_list("id", "template_id", "state", "current_issuance_id", "current_issuance__next_attempt_at",
                      "current_issuance__revoke_requested"):
            if revoke_requested:
                # Taken back and granted again before the revocation was done: keep the badge.
                issuance.withdraw_revocation(issuance_id)
            if state == IssuedBadge.STATE_QUEUED:
                if next_attempt_at is None:  # one waiting for its retry time is sent then
                    queued.append(badge_id)
            elif state == IssuedBadge.STATE_REVOKED and issuance.grant_again(
                    badge_id, achievement.earned_at, achievement.event_type, achievement.event_id,
                    expires_at=expires_at(achievement.earned_at, mapping_of[template_id].expires_in_months)):
                queued.append(badge_id)
    schedule_sending(queued)
    return queued


def schedule_sending(badge_ids):
    """Enqueue the sending task for each badge once the current transaction commits (each badge once)."""
    scheduling.after_commit(scheduling.ISSUE_BADGE, badge_ids)
