"""
The one place that decides "should this learner get this badge", and records it.

Receivers, the backfill command, the single-learner command and the admin all come
here. Recording is a database insert that the unique constraint on ``IssuedBadge``
turns into a no-op for an achievement already recorded; sending happens later, in a
Celery task scheduled once the caller's transaction commits.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from openedx_credly import award_rules, errorlog, learning_paths, milestones
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, IssuedBadge
from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Achievement:
    """A learner passed a course or earned its certificate."""

    user_id: int
    course_key: object
    trigger: str  # CourseBadgeTemplate.TRIGGER_*
    earned_at: datetime
    email: str = ""  # from the event; the user record fills what is missing
    full_name: str = ""
    username: str = ""
    event_type: str = ""
    event_id: str = ""
    grade: object = None  # as the platform sent it (a fraction, number or string); see award_rules
    mode: str = ""  # the certificate's mode


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


def split_name(full_name, username):
    """
    First and last name for Credly, which refuses empty ones.

    "Ada King Lovelace" gives ("Ada", "King Lovelace"); a one-word name is kept as the
    first name with the username as last name; no name at all uses the username twice.
    """
    parts = (full_name or "").split()
    if len(parts) >= 2:
        return parts[0], " ".join(parts[1:])
    if len(parts) == 1:
        return parts[0], username or parts[0]
    return username, username


def _learner_problem(user, achievement):
    """Why this learner cannot be sent a badge, or None."""
    if user is None:
        return _("no account with id %(id)s exists.") % {"id": achievement.user_id}
    if not user.is_active:
        return _("the account is inactive (not activated, disabled or retired).")
    if not (achievement.email or user.email):
        return _("the account has no email address, which Credly needs to send the badge.")
    return None


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
    problem = _learner_problem(user, achievement)
    if problem:
        for organization in {mapping.template.organization for mapping in mappings}:
            errorlog.learner_data_incomplete(
                organization, achievement.course_key, achievement.username or getattr(user, "username", ""), problem
            )
        return []

    email = achievement.email or user.email
    full_name = achievement.full_name or get_platform().get_full_name(user) or ""
    if not full_name.strip():
        log.info("User %s has no full name; their username stands in for it on Credly.", user.pk)
    template_ids = [mapping.template_id for mapping in mappings]
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
                expires_at=award_rules.expires_at(achievement.earned_at, mapping.expires_in_months),
                trigger_event_type=achievement.event_type,
                trigger_event_id=str(achievement.event_id or ""),
            )
            for mapping in mappings
        ],
        ignore_conflicts=True,
    )
    queued = list(
        IssuedBadge.objects.filter(
            user_id=user.pk,
            course_id=achievement.course_key,
            template_id__in=template_ids,
            state=IssuedBadge.STATE_QUEUED,
            next_attempt_at__isnull=True,
        ).values_list("id", flat=True)
    )
    schedule_sending(queued)
    return queued


def record_badges(badges):
    """
    Insert ``IssuedBadge`` rows built by the caller (milestones) and schedule those still queued.

    A row already there is a no-op on the unique constraint, as for course badges.
    Returns the ids scheduled.
    """
    if not badges:
        return []
    IssuedBadge.objects.bulk_create(badges, ignore_conflicts=True)
    groups = {}
    for badge in badges:
        groups.setdefault((badge.template_id, str(badge.course_id or "")), (badge.course_id, set()))[1].add(
            badge.user_id)
    queued = []
    for (template_id, _course), (course_id, user_ids) in groups.items():
        queued += IssuedBadge.objects.filter(
            user_id__in=user_ids, template_id=template_id, course_id=course_id,
            state=IssuedBadge.STATE_QUEUED, next_attempt_at__isnull=True,
        ).values_list("id", flat=True)
    schedule_sending(queued)
    return queued


def schedule_sending(badge_ids):
    """Enqueue the sending task for each badge once the current transaction commits."""
    from openedx_credly import tasks  # pylint: disable=import-outside-toplevel

    tasks.enqueue_after_commit(tasks.issue_badge, badge_ids)
