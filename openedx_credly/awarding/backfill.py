"""
Backfill: badges for learners who earned the course before it awarded one.

Earners are streamed from the platform (``iter_course_earners``) and handled a chunk at
a time: one query for the chunk's accounts, one for their full names, one for the
badges they already have; then each learner goes through ``awarding.recording.record_achievement``
exactly like a live event, so the unique constraint on ``IssuedBadge`` keeps it to one
badge per learner however often the backfill runs. Memory stays flat whatever the
course's size: nothing holds more than one chunk.
"""
import logging
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openedx_credly.awarding import award_rules
from openedx_credly.awarding.recording import Achievement, active_mappings, record_achievement
from openedx_credly.models import CourseBadgeTemplate, IssuedBadge
from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)

EVENT_TYPE = "openedx_credly.backfill"
TRIGGERS = (CourseBadgeTemplate.TRIGGER_CERTIFICATE, CourseBadgeTemplate.TRIGGER_PASSING,
            CourseBadgeTemplate.TRIGGER_GRADE)

SKIP_NO_ACCOUNT = "no_account"
SKIP_INACTIVE = "inactive"
SKIP_NO_EMAIL = "no_email"
SKIP_NOT_RECORDED = "not_recorded"
SKIP_RULES = "rules"
SKIP_REASONS = {
    SKIP_NO_ACCOUNT: gettext_lazy("the account no longer exists"),
    SKIP_INACTIVE: gettext_lazy("the account is inactive (not activated, disabled or retired)"),
    SKIP_NO_EMAIL: gettext_lazy("the account has no email address"),
    SKIP_NOT_RECORDED: gettext_lazy("the badge could not be recorded (see the Credly error log)"),
    SKIP_RULES: gettext_lazy("the learner's grade or certificate mode does not meet the mapping's rules"),
}


@dataclass
class BackfillResult:
    """
    Counts of one backfill run, in badges (a learner of a course with two templates counts twice).

    ``queued``: newly recorded and sent through the queue (in a dry run: would be).
    ``already_had``: the learner already had this badge (in any state).
    ``skipped``: reason code → count, see ``SKIP_REASONS``.
    """

    course_key: object
    dry_run: bool = False
    learners: int = 0
    queued: int = 0
    already_had: int = 0
    skipped: Counter = field(default_factory=Counter)
    templates: list = field(default_factory=list)

    @property
    def skipped_total(self):
        return sum(self.skipped.values())

    def summary_lines(self):
        """The summary in plain words, one line each."""
        verb = _("would be queued") if self.dry_run else _("queued")
        lines = [
            _("%(course)s: %(learners)s learner(s) had earned the course.") % {
                "course": self.course_key, "learners": self.learners},
            _("Badges %(verb)s: %(count)s") % {"verb": verb, "count": self.queued},
            _("Already had one: %(count)s") % {"count": self.already_had},
            _("Skipped: %(count)s") % {"count": self.skipped_total},
        ]
        for reason, count in sorted(self.skipped.items()):
            lines.append("  " + _("%(count)s because %(reason)s") % {
                "count": count, "reason": SKIP_REASONS.get(reason, reason)})
        return lines


def _chunks(iterable, size):
    """Lists of at most ``size`` items, read lazily from ``iterable``."""
    iterator = iter(iterable)
    while True:
        chunk = list(islice(iterator, size))
        if not chunk:
            return
        yield chunk


def backfill(course_key, *, trigger=None, since=None, mappings=None, dry_run=False, chunk_size=None,
             progress=None, progress_every=None):
    """
    Award the course's active badge templates to everyone who already earned them.

    ``mappings`` (default: the course's active mappings, of ``trigger`` if given) says which
    templates; each mapping's own trigger says who earned it. ``since`` (an aware datetime)
    leaves out earlier earners. ``progress(result)`` is called every ``progress_every``
    learners. Returns a ``BackfillResult``.
    """
    chunk_size = int(chunk_size or getattr(settings, "CREDLY_BACKFILL_CHUNK_SIZE", 500))
    progress_every = int(progress_every or chunk_size)
    if progress:
        chunk_size = min(chunk_size, progress_every)  # progress can only be told between chunks
    result = BackfillResult(course_key=course_key, dry_run=dry_run)
    if mappings is None:
        triggers = [trigger] if trigger else TRIGGERS
        mappings = [mapping for each in triggers for mapping in active_mappings(course_key, each)]
    else:
        mappings = [mapping for mapping in mappings if mapping.is_active and mapping.template.is_usable]
    result.templates = [mapping.template for mapping in mappings]

    next_report = progress_every
    for each_trigger in TRIGGERS:
        trigger_mappings = [mapping for mapping in mappings if mapping.trigger == each_trigger]
        if not trigger_mappings:
            continue
        earners = _earners(course_key, each_trigger, trigger_mappings, since)
        for chunk in _chunks(earners, chunk_size):
            _backfill_chunk(course_key, each_trigger, trigger_mappings, chunk, result, dry_run=dry_run)
            if progress and result.learners >= next_report:
                progress(result)
                while next_report <= result.learners:
                    next_report += progress_every
    log.info("Credly backfill of %s%s: %s learner(s), %s queued, %s already had one, %s skipped %s.",
             course_key, " (dry run)" if dry_run else "", result.learners, result.queued, result.already_had,
             result.skipped_total, dict(result.skipped))
    return result


def _earners(course_key, trigger, mappings, since):
    """``(user_id, earned_at, grade, mode)`` of the course's earners; grades and modes only when a rule needs them."""
    platform = get_platform()
    if trigger == CourseBadgeTemplate.TRIGGER_GRADE or any(
            award_rules.has_grade_bounds(mapping) or mapping.modes for mapping in mappings):
        return platform.iter_course_earner_details(course_key, trigger, since)
    return ((user_id, earned_at, None, None) for user_id, earned_at in
            platform.iter_course_earners(course_key, trigger, since))


def _backfill_chunk(course_key, trigger, mappings, chunk, result, *, dry_run):
    """Handle one chunk of ``(user_id, earned_at, grade, mode)``: a few queries, then one record per learner."""
    user_ids = [row[0] for row in chunk]
    users = {
        user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids).only(
            "pk", "username", "email", "is_active", "first_name", "last_name")
    }
    usable = [user for user in users.values() if user.is_active and user.email]
    names = get_platform().get_full_names(usable) if usable else {}
    template_pks = [mapping.template_id for mapping in mappings]
    already = set(
        IssuedBadge.objects.filter(course_id=course_key, template_id__in=template_pks, user_id__in=user_ids)
        .values_list("user_id", "template_id")
    )
    attempted = set()
    for user_id, earned_at, grade, mode in chunk:
        result.learners += 1
        missing = [mapping for mapping in mappings if (user_id, mapping.template_id) not in already]
        result.already_had += len(mappings) - len(missing)
        meeting = [mapping for mapping in missing if award_rules.evaluate(mapping, grade, mode)]
        if len(meeting) < len(missing):
            result.skipped[SKIP_RULES] += len(missing) - len(meeting)
        missing = meeting
        if not missing:
            continue
        user = users.get(user_id)
        reason = (
            SKIP_NO_ACCOUNT if user is None
            else SKIP_INACTIVE if not user.is_active
            else SKIP_NO_EMAIL if not user.email
            else None
        )
        if reason:
            result.skipped[reason] += len(missing)
            continue
        if dry_run:
            result.queued += len(missing)
            continue
        record_achievement(
            Achievement(
                user_id=user_id, course_key=course_key, trigger=trigger, earned_at=earned_at,
                email=user.email, full_name=names.get(user_id, "") or "", username=user.username,
                event_type=EVENT_TYPE, grade=grade, mode=mode or "",
            ),
            mappings=missing,
        )
        pairs = {(user_id, mapping.template_id) for mapping in missing}
        attempted |= pairs
        already |= pairs
    if attempted:
        # What was recorded, counted from the database: record_achievement's answer also
        # names learning-path badges, which are not this course's.
        recorded = set(
            IssuedBadge.objects.filter(
                course_id=course_key, template_id__in=template_pks,
                user_id__in={user_id for user_id, _template in attempted},
            ).values_list("user_id", "template_id")
        ) & attempted
        result.queued += len(recorded)
        if len(recorded) < len(attempted):
            result.skipped[SKIP_NOT_RECORDED] += len(attempted) - len(recorded)
