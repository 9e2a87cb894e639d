"""
Signals in: platform events that may earn a badge.

A receiver never raises (the platform sends events robustly, so an exception would
only be logged and the badge lost without a trace) and never talks to Credly: it
records the achievement in the database and leaves the sending to a Celery task.
Every write it makes runs in its own savepoint (``recording``, ``learning_paths``,
``errorlog``): a database error in one (a lock wait timeout, a deadlock) is rolled
back alone and never spoils the platform's transaction.
"""
import dataclasses
import logging

from django.db.models import Q
from django.utils import timezone

from openedx_credly.awarding import award_rules, milestones, toggles
from openedx_credly.awarding.achievements import badge_course
from openedx_credly.awarding.recording import Achievement, record_achievement, record_course_badges
from openedx_credly.issuing import revoking
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, IssuedBadge

log = logging.getLogger(__name__)

DOWNLOADABLE = "downloadable"


def _earned_at(metadata):
    return getattr(metadata, "time", None) or timezone.now()


def _achievement(user, course_key, trigger, metadata, **rules):
    pii = getattr(user, "pii", None)
    return Achievement(
        user_id=user.id,
        course_key=course_key,
        trigger=trigger,
        earned_at=_earned_at(metadata),
        email=getattr(pii, "email", "") or "",
        full_name=getattr(pii, "name", "") or "",
        username=getattr(pii, "username", "") or "",
        event_type=getattr(metadata, "event_type", "") or "",
        event_id=str(getattr(metadata, "id", "") or ""),
        **rules,
    )


def _record_safely(build_achievement, description):
    """Record an achievement; whatever goes wrong is logged, never raised."""
    if not toggles.is_issuing_enabled():
        return  # the operator's kill switch: the event earns nothing (a backfill can award it later)
    try:
        record_achievement(build_achievement())
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-credly could not record %s; no badge was queued for it.", description)


def on_certificate_created(certificate, metadata=None, **kwargs):
    """A certificate was saved: a downloadable one earns the course's certificate badge."""
    if certificate.current_status != DOWNLOADABLE:
        return
    _record_safely(
        lambda: _achievement(certificate.user, certificate.course.course_key, CourseBadgeTemplate.TRIGGER_CERTIFICATE,
                             metadata, grade=certificate.grade, mode=certificate.mode or ""),
        "a certificate event",
    )


def on_certificate_changed(certificate, metadata=None, **kwargs):
    """A certificate changed status; becoming downloadable earns the badge like a new one."""
    on_certificate_created(certificate, metadata, **kwargs)


def on_certificate_revoked(certificate, metadata=None, **kwargs):
    """A certificate was revoked; the course's mapping says whether its badge follows."""
    try:
        revoking.revoke_for_certificate(certificate.user.id, certificate.course.course_key, metadata)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-credly could not handle a certificate revocation.")


def on_passing_status_updated(course_passing_status, metadata=None, **kwargs):
    """The learner's grade crossed the passing line; passing earns the course's passing badge."""
    if not course_passing_status.is_passing:
        return
    _record_safely(
        lambda: _achievement(course_passing_status.user, course_passing_status.course.course_key,
                             CourseBadgeTemplate.TRIGGER_PASSING, metadata),
        "a passing-status event",
    )


def on_ccx_passing_status_updated(course_passing_status, metadata=None, **kwargs):
    """Passing a CCX course earns the badge of the course it was made from; a grade range reads the CCX's grade."""
    if not course_passing_status.is_passing:
        return
    _record_safely(
        lambda: _achievement(course_passing_status.user, course_passing_status.course.master_course_key,
                             CourseBadgeTemplate.TRIGGER_PASSING, metadata,
                             grade_course_key=course_passing_status.course.ccx_course_key),
        "a CCX passing-status event",
    )


def _grade_event_mappings(course_key):
    """
    The course's active ``grade`` mappings and its ``passing`` mappings with a grade range:
    one indexed query, the whole cost of a grade event in a course without them.
    """
    return list(
        CourseBadgeTemplate.objects.filter(
            Q(trigger=CourseBadgeTemplate.TRIGGER_GRADE)
            | (Q(trigger=CourseBadgeTemplate.TRIGGER_PASSING)
               & (Q(min_grade__isnull=False) | Q(max_grade__isnull=False))),
            course_id=course_key,
            is_active=True,
            template__state=BadgeTemplate.STATE_ACTIVE,
            template__organization__is_active=True,
        ).select_related("template")
    )


def _not_yet_held(mappings, user_id, course_key):
    """The mappings whose badge the learner does not hold for this course yet (one query, none if no mapping)."""
    if not mappings:
        return []
    held = set(IssuedBadge.objects.filter(
        user_id=user_id, course_id=course_key, template_id__in=[mapping.template_id for mapping in mappings],
    ).values_list("template_id", flat=True))
    return [mapping for mapping in mappings if mapping.template_id not in held]


def on_persistent_grade_changed(grade, metadata=None, **kwargs):
    """
    The learner's course grade was recomputed (on every graded submission): the course's
    ``grade`` mappings, and its ``passing`` mappings with a grade range once the learner
    passed, award when the grade is in their range (a CCX's grade, its master course's
    mappings). One query for a course without them.
    """
    if not toggles.is_issuing_enabled():
        return  # the kill switch: a backfill (``credly_backfill``) awards what was missed
    try:
        # A CCX learner's grade event names the CCX: the master course's mappings award it.
        course_key = badge_course(grade.course.course_key)
        mappings = _grade_event_mappings(course_key)
        if not mappings:
            return
        if not grade.passed_timestamp:
            mappings = [mapping for mapping in mappings if mapping.trigger == CourseBadgeTemplate.TRIGGER_GRADE]
        # Grades are recomputed often: a learner already holding the badge costs one query more, no write.
        mappings = _not_yet_held(
            [mapping for mapping in mappings if award_rules.evaluate(mapping, grade.percent_grade)],
            grade.user_id, course_key,
        )
        for trigger in (CourseBadgeTemplate.TRIGGER_GRADE, CourseBadgeTemplate.TRIGGER_PASSING):
            selected = [mapping for mapping in mappings if mapping.trigger == trigger]
            if not selected or (trigger == CourseBadgeTemplate.TRIGGER_PASSING and not grade.passed_timestamp):
                continue
            record_course_badges(
                Achievement(
                    user_id=grade.user_id, course_key=course_key, trigger=trigger,
                    earned_at=_earned_at(metadata), event_type=getattr(metadata, "event_type", "") or "",
                    event_id=str(getattr(metadata, "id", "") or ""), grade=grade.percent_grade,
                ),
                selected,
            )
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-credly could not record a grade event; no badge was queued for it.")


def _enrollment(enrollment, metadata, is_active):
    """Count an enrollment (or, with ``is_active`` false, an unenrollment) toward milestones; never raises."""
    if not toggles.is_issuing_enabled():
        return  # the kill switch: ``credly_backfill_milestones`` recounts from the platform's records
    try:
        achievement = _achievement(enrollment.user, enrollment.course.course_key, "", metadata)
        if is_active and getattr(enrollment, "creation_date", None):
            achievement = dataclasses.replace(achievement, earned_at=enrollment.creation_date)
        milestones.record_enrollment_safely(achievement, is_active=is_active)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-credly could not record an enrollment event.")


def on_enrollment_created(enrollment, metadata=None, **kwargs):
    """A learner enrolled: counts toward "enrolled in N courses" milestones (no query when there are none)."""
    if getattr(enrollment, "is_active", True):
        _enrollment(enrollment, metadata, True)


def on_unenrollment_completed(enrollment, metadata=None, **kwargs):
    """A learner unenrolled: the enrollment stops counting (a milestone badge already earned stays)."""
    _enrollment(enrollment, metadata, False)
