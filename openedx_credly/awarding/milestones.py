"""
Milestones: site-wide badges for "enrolled in N courses" and "completed N courses".

Counted from durable records, never from events: an enrollment event inserts a
``CourseEnrollmentRecord`` and a passing or certificate achievement a
``CourseCompletionRecord``, both unique per learner and course, so an event replayed or
arriving twice never counts twice. Most sites define no milestone, so the first
question, "is any milestone of this kind active?", is answered from a cached set
(``active_kinds``) without a query: an unmapped course's events keep their cost.

A milestone's badge is an ``IssuedBadge`` with an empty ``course_id`` (like a learning
path's), inserted and scheduled the way course badges are, so the same exactly-once
task sends it. Enrollments and completions from before the milestone (or the plugin)
are read from the platform's records by ``backfill`` (``manage.py credly_backfill_milestones``).

Two transactions that each record one of a learner's courses count without seeing each
other's (write skew: under MariaDB's REPEATABLE READ, and READ COMMITTED alike, neither
reaches N). So the count made in the event's transaction awards what it sees, and a
learner left short of a milestone is counted again once the transaction has committed,
in a task (``reevaluate_learner``): the last of the overlapping transactions to commit
sees every record, and the unique badge row makes a second award a no-op.
"""
import logging
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.django.models import CourseKeyField
from opaque_keys.edx.keys import CourseKey

from openedx_credly import errorlog
from openedx_credly.awarding import cached_facts
from openedx_credly.awarding.achievements import Achievement, learner_problem
from openedx_credly.issuing import scheduling
from openedx_credly.models import (
    CourseBadgeTemplate,
    CourseCompletionRecord,
    CourseEnrollmentRecord,
    IssuedBadge,
    Milestone,
)
from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)

NO_COURSE = CourseKeyField.Empty
KINDS_CACHE_KEY = "openedx_credly.milestones.active_kinds.v1"
DEFAULT_KINDS_TIMEOUT = 300
EVENT_TYPE = "openedx_credly.milestone"
EVENT_TYPE_BACKFILL = "openedx_credly.milestone.backfill"
COMPLETION_TRIGGERS = (CourseBadgeTemplate.TRIGGER_PASSING, CourseBadgeTemplate.TRIGGER_CERTIFICATE)
BATCH = 500

RECORDS = {
    Milestone.KIND_ENROLLED: (CourseEnrollmentRecord, "enrolled_at"),
    Milestone.KIND_COMPLETED: (CourseCompletionRecord, "completed_at"),
}


# ---------------------------------------------------------------------------
# The cached fact: which kinds of milestone are active
# ---------------------------------------------------------------------------

def active_kinds():
    """``{kind}`` of the active milestones: cached, one query when cold."""
    return cached_facts.read(
        KINDS_CACHE_KEY,
        lambda: frozenset(Milestone.objects.filter(is_active=True).values_list("kind", flat=True).distinct()),
        timeout_setting="CREDLY_MILESTONE_INDEX_TIMEOUT", default_timeout=DEFAULT_KINDS_TIMEOUT,
        what="milestone kinds",
    )


def forget_active_kinds():
    """Drop the cached kinds; the next event reads them again."""
    cached_facts.forget(KINDS_CACHE_KEY, what="milestone kinds")


@receiver(post_save, sender=Milestone, dispatch_uid="openedx_credly.milestone_saved")
@receiver(post_delete, sender=Milestone, dispatch_uid="openedx_credly.milestone_deleted")
def _milestone_changed(instance, **kwargs):
    """A milestone changed: forget the cached kinds now and after the commit, then award what is now earned."""
    forget_active_kinds()
    transaction.on_commit(forget_active_kinds)
    if kwargs.get("signal") is post_delete:
        return
    # A whole site's learners may reach it: the award runs in a task, never in the admin's request.
    scheduling.after_commit(scheduling.REEVALUATE_MILESTONE, [instance.pk])


# ---------------------------------------------------------------------------
# Which courses count
# ---------------------------------------------------------------------------

def counts_course(milestone, course_id):
    """Whether ``course_id`` counts toward ``milestone`` (its organization and prefix filters, both if both set)."""
    text = str(course_id)
    if milestone.organization:
        try:
            org = CourseKey.from_string(text).org
        except InvalidKeyError:
            return False
        if org.casefold() != milestone.organization.strip().casefold():
            return False
    prefixes = milestone.prefixes
    return not prefixes or any(text.startswith(prefix) for prefix in prefixes)


def _reached_at(milestone, times_by_course):
    """When the milestone was reached (the N-th counted course's time), or None."""
    times = sorted(when for course_id, when in times_by_course if counts_course(milestone, course_id) and when)
    required = max(1, milestone.required_count)
    return times[required - 1] if len(times) >= required else None


# ---------------------------------------------------------------------------
# From events
# ---------------------------------------------------------------------------

def record_completion_safely(achievement):
    """A passing or certificate achievement: record the completion and award what it reaches. Never raises."""
    try:
        if achievement.trigger not in COMPLETION_TRIGGERS or Milestone.KIND_COMPLETED not in active_kinds():
            return []
        with transaction.atomic():
            CourseCompletionRecord.objects.bulk_create(
                [CourseCompletionRecord(user_id=achievement.user_id, course_id=achievement.course_key,
                                        completed_at=achievement.earned_at)],
                ignore_conflicts=True,
            )
            return _evaluate_then_recount(achievement.user_id, Milestone.KIND_COMPLETED, achievement)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-credly could not record a course completion for milestones (user %s, %s).",
                      achievement.user_id, achievement.course_key)
        return []


def record_enrollment_safely(achievement, is_active=True):
    """
    An enrollment event: record it (or its end, with ``is_active`` False) and award what it reaches.

    Never raises; no query at all when no "enrolled" milestone is active.
    """
    try:
        if Milestone.KIND_ENROLLED not in active_kinds():
            return []
        with transaction.atomic():
            if not is_active:
                CourseEnrollmentRecord.objects.filter(
                    user_id=achievement.user_id, course_id=achievement.course_key).update(is_active=False)
                return []
            CourseEnrollmentRecord.objects.bulk_create(
                [CourseEnrollmentRecord(user_id=achievement.user_id, course_id=achievement.course_key,
                                        enrolled_at=achievement.earned_at)],
                ignore_conflicts=True,
            )
            CourseEnrollmentRecord.objects.filter(
                user_id=achievement.user_id, course_id=achievement.course_key, is_active=False).update(is_active=True)
            return _evaluate_then_recount(achievement.user_id, Milestone.KIND_ENROLLED, achievement)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-credly could not record an enrollment for milestones (user %s, %s).",
                      achievement.user_id, achievement.course_key)
        return []


def _records(kind):
    """The recorded enrollments (active ones) or completions that milestones of ``kind`` count, and their date field."""
    model, time_field = RECORDS[kind]
    rows = model.objects.all()
    if kind == Milestone.KIND_ENROLLED:
        rows = rows.filter(is_active=True)
    return rows, time_field


def _evaluate_then_recount(user_id, kind, achievement):
    """
    Award what the learner's records reach as this transaction sees them; when a milestone is
    left unreached, count again once the transaction committed (see the module's docstring).
    """
    scheduled, unreached = evaluate_user(user_id, kind, achievement)
    if unreached:
        scheduling.after_commit(scheduling.REEVALUATE_LEARNER_MILESTONES, [user_id])
    return scheduled


def reevaluate_learner(user_id):
    """Award ``user_id`` every active milestone their committed records reach (the task after an event)."""
    scheduled = []
    for kind in sorted(active_kinds()):
        scheduled += evaluate_user(user_id, kind)[0]
    return scheduled


def evaluate_user(user_id, kind, achievement=None):
    """
    Award ``user_id`` every active milestone of ``kind`` that their records now reach.

    Returns the badge ids queued, and how many milestones the learner does not hold their
    records (as this transaction sees them) leave unreached.
    """
    milestones = [
        milestone for milestone in Milestone.objects.filter(is_active=True, kind=kind).select_related(
            "template__organization")
        if milestone.template.is_usable
    ]
    if not milestones:
        return [], 0
    held = set(IssuedBadge.objects.filter(
        user_id=user_id, course_id=NO_COURSE, template_id__in={milestone.template_id for milestone in milestones},
    ).values_list("template_id", flat=True))
    pending = [milestone for milestone in milestones if milestone.template_id not in held]
    if not pending:
        return [], 0
    rows, time_field = _records(kind)
    times = list(rows.filter(user_id=user_id).values_list("course_id", time_field))
    user = None
    scheduled, unreached = [], 0
    for milestone in pending:
        reached_at = _reached_at(milestone, times)
        if reached_at is None:
            unreached += 1
            continue
        user = user or get_user_model().objects.filter(pk=user_id).first()
        if user is None:
            return scheduled, 0
        scheduled += issue(milestone, [(user, reached_at, achievement)])
    return scheduled, unreached


def issue(milestone, earners, event_type=EVENT_TYPE):
    """
    Queue the milestone's badge for each ``(user, earned_at, achievement or None)``.

    Recorded through ``_record_badges``: the unique constraint on (user, template,
    empty course) makes a second one a no-op, and the queued rows are scheduled for sending.
    """
    platform = get_platform()
    missing_names = [user for user, _when, achievement in earners if not (achievement and achievement.full_name)]
    names = platform.get_full_names(missing_names) if missing_names else {}
    badges = []
    for user, earned_at, achievement in earners:
        achievement = achievement or Achievement(user_id=user.pk, course_key=None, trigger="", earned_at=earned_at)
        problem = learner_problem(user, achievement)
        if problem:
            errorlog.learner_data_incomplete(
                milestone.template.organization, _("the milestone %(name)s") % {"name": milestone.name},
                user.username, problem, learner_id=user.pk,
            )
            continue
        badges.append(IssuedBadge(
            user_id=user.pk, template_id=milestone.template_id, course_id=NO_COURSE, milestone_id=milestone.pk,
            recipient_email=achievement.email or user.email,
            recipient_name=(achievement.full_name or names.get(user.pk) or "").strip(),
            earned_at=earned_at, trigger_event_type=event_type,
            trigger_event_id=str(achievement.event_id or ""),
        ))
    return _record_badges(badges)


# ---------------------------------------------------------------------------
# Whole milestones: after an edit, and the backfill
# ---------------------------------------------------------------------------

def qualifying(milestone):
    """``{user_id: reached_at}`` of learners whose records reach ``milestone`` and who hold no badge of it."""
    holders = set(IssuedBadge.objects.filter(template_id=milestone.template_id, course_id=NO_COURSE)
                  .values_list("user_id", flat=True))
    rows, time_field = _records(milestone.kind)
    by_user = defaultdict(list)
    for user_id, course_id, when in rows.order_by("user_id").values_list("user_id", "course_id", time_field).iterator():
        if user_id not in holders:
            by_user[user_id].append((course_id, when))
    reached = {}
    for user_id, times in by_user.items():
        when = _reached_at(milestone, times)
        if when is not None:
            reached[user_id] = when
    return reached


def reevaluate(milestone_or_id, event_type=EVENT_TYPE):
    """Award the milestone to every learner whose recorded enrollments or completions reach it; the ids queued."""
    milestone_id = getattr(milestone_or_id, "pk", milestone_or_id)
    milestone = Milestone.objects.select_related("template__organization").filter(
        pk=milestone_id, is_active=True).first()
    if milestone is None or not milestone.template.is_usable:
        return []
    reached = qualifying(milestone)
    user_ids = sorted(reached)
    scheduled = []
    for start in range(0, len(user_ids), BATCH):
        users = get_user_model().objects.filter(pk__in=user_ids[start:start + BATCH]).order_by("pk")
        with transaction.atomic():
            scheduled += issue(milestone, [(user, reached[user.pk], None) for user in users], event_type=event_type)
    if scheduled:
        log.info("Milestone %s: %s badge(s) queued.", milestone.pk, len(scheduled))
    return scheduled


def _store(model, rows):
    if rows:
        model.objects.bulk_create(rows, ignore_conflicts=True)
    return []


def record_platform_history(kinds):
    """
    Copy enrollments and completions from the platform's records into the durable records.

    Returns ``{kind: rows offered}`` (rows already recorded are left as they are).
    """
    platform = get_platform()
    found = {}
    if Milestone.KIND_ENROLLED in kinds:
        found[Milestone.KIND_ENROLLED] = 0
        pending = []
        for user_id, course_id, created in platform.iter_enrollments():
            found[Milestone.KIND_ENROLLED] += 1
            pending.append(CourseEnrollmentRecord(user_id=user_id, course_id=course_id, enrolled_at=created))
            if len(pending) >= BATCH:
                pending = _store(CourseEnrollmentRecord, pending)
        _store(CourseEnrollmentRecord, pending)
    if Milestone.KIND_COMPLETED in kinds:
        found[Milestone.KIND_COMPLETED] = 0
        for course_id in platform.iter_course_keys():
            earliest = {}
            for trigger in COMPLETION_TRIGGERS:
                for user_id, earned_at in platform.iter_course_earners(course_id, trigger):
                    if earned_at and (user_id not in earliest or earned_at < earliest[user_id]):
                        earliest[user_id] = earned_at
            found[Milestone.KIND_COMPLETED] += len(earliest)
            rows = [CourseCompletionRecord(user_id=user_id, course_id=course_id, completed_at=when)
                    for user_id, when in earliest.items()]
            for start in range(0, len(rows), BATCH):
                _store(CourseCompletionRecord, rows[start:start + BATCH])
    return found


def backfill(milestones=None, dry_run=False):
    """
    Award milestones reached before they (or the plugin) existed, from the platform's records.

    ``milestones`` defaults to every active one. With ``dry_run`` the platform's records
    are still copied into the durable records (they are facts, not badges) but no badge
    is queued. Returns ``[(milestone, learners qualified, badges queued)]`` and the counts
    of records read.
    """
    if milestones is None:
        milestones = list(Milestone.objects.filter(is_active=True).select_related("template__organization"))
    found = record_platform_history({milestone.kind for milestone in milestones})
    report = []
    for milestone in milestones:
        qualified = len(qualifying(milestone))
        queued = [] if dry_run else reevaluate(milestone, event_type=EVENT_TYPE_BACKFILL)
        report.append((milestone, qualified, len(queued)))
    return report, found


def _record_badges(badges):
    """
    Insert ``IssuedBadge`` rows built by the caller (milestones) and schedule those still queued.

    A row already there is a no-op on the unique constraint, as for course badges.
    Returns the ids scheduled.
    """
    if not badges:
        return []
    with transaction.atomic():  # a savepoint of its own, as for course badges
        IssuedBadge.objects.bulk_create(badges, ignore_conflicts=True)
    groups = {}
    for badge in badges:
        groups.setdefault((badge.template_id, str(badge.course_id or "")), (badge.course_id, set()))[1].add(
            badge.user_id)
    queued = []
    for (template_id, _course), (course_id, user_ids) in groups.items():
        queued += IssuedBadge.objects.filter(
            user_id__in=user_ids, template_id=template_id, course_id=course_id,
            state=IssuedBadge.STATE_QUEUED, current_issuance__next_attempt_at__isnull=True,
        ).values_list("id", flat=True)
    scheduling.after_commit(scheduling.ISSUE_BADGE, queued)
    return queued
