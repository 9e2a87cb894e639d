"""
Learning paths: one badge for completing a set of courses (all of them, or at least N).

Progress comes from the events the single-course flow already receives:
``recording.record_achievement`` hands every achievement to ``record_progress_safely``
(this module does not import ``recording``: the flow goes one way).
Most courses belong to no path, so the first question, "is this course in any active
path for this trigger?", is answered from a cached set (``course_index``) without a
query. For a course that is in a path, the learner's progress is recorded and the
rule of each of the course's paths evaluated; a path whose rule is met gets an
``IssuedBadge`` row (``course_id`` empty, ``learning_path`` set) through the same
insert-then-schedule step as a course badge, so the same exactly-once task
sends it.

Two transactions that each record one of a learner's courses of a path evaluate it
without seeing each other's progress (write skew, as for milestones): a learner left
short of a path is evaluated again once the event's transaction committed, in a task
(``reevaluate_learner``), and the unique badge row makes a second award a no-op.
Re-evaluating a whole path after an edit runs in a task too, never in the admin's request.

Courses completed before a path existed (or before the plugin was installed) are not
in the recorded progress: when the learner's next event in a path course arrives, the
path's other courses are looked up in the platform's own records
(``get_platform().get_user_achievements``), and ``backfill_path`` does the same for
every learner at once. See docs/learning_paths.rst for the rules.
"""
import logging
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from opaque_keys import InvalidKeyError
from opaque_keys.edx.django.models import CourseKeyField
from opaque_keys.edx.keys import CourseKey

from openedx_credly import errorlog
from openedx_credly.awarding import cached_facts
from openedx_credly.awarding.achievements import Achievement, learner_problem
from openedx_credly.issuing import scheduling
from openedx_credly.models import BadgeTemplate, IssuedBadge, LearningPath, LearningPathCourse, LearningPathProgress
from openedx_credly.platform import get_platform
from openedx_credly.safe_urls import credly_url

log = logging.getLogger(__name__)

# IssuedBadge.course_id of a badge that no single course earned.
NO_COURSE = CourseKeyField.Empty

INDEX_CACHE_KEY = "openedx_credly.learning_paths.course_index.v1"
# Bounds how stale another process's cached index can be when the cache is per process.
DEFAULT_INDEX_TIMEOUT = 300

EVENT_TYPE_EDITED = "openedx_credly.learning_path.re_evaluated"
EVENT_TYPE_BACKFILL = "openedx_credly.learning_path.backfill"

BATCH = 500


# ---------------------------------------------------------------------------
# The index from course to paths
# ---------------------------------------------------------------------------

def course_index():
    """``{(course id, trigger)}`` of every course of an active path: cached, one query when cold."""
    # A cache outage must not cost a badge: the table is read instead.
    return cached_facts.read(
        INDEX_CACHE_KEY,
        lambda: frozenset(
            (str(course_id), trigger)
            for course_id, trigger in LearningPathCourse.objects.filter(path__is_active=True)
            .values_list("course_id", "trigger")
        ),
        timeout_setting="CREDLY_LEARNING_PATH_INDEX_TIMEOUT", default_timeout=DEFAULT_INDEX_TIMEOUT,
        what="learning-path index",
    )


def forget_course_index():
    """Drop the cached index; the next event rebuilds it."""
    cached_facts.forget(INDEX_CACHE_KEY, what="learning-path index")


def in_any_path(course_key, trigger):
    """Whether ``course_key`` counts toward an active path when earned through ``trigger``."""
    return (str(course_key), trigger) in course_index()


@receiver(post_save, sender=LearningPath, dispatch_uid="openedx_credly.learning_path_saved")
@receiver(post_delete, sender=LearningPath, dispatch_uid="openedx_credly.learning_path_deleted")
@receiver(post_save, sender=LearningPathCourse, dispatch_uid="openedx_credly.learning_path_course_saved")
@receiver(post_delete, sender=LearningPathCourse, dispatch_uid="openedx_credly.learning_path_course_deleted")
def _path_changed(sender, instance, **kwargs):
    """
    A path or one of its courses changed: rebuild the index, and re-evaluate the path.

    The index is dropped now and again after the commit, so that no process caches the
    old set between the two. Re-evaluation runs in a task enqueued after the commit (a
    whole site's learners may meet the rule): removing a course or lowering N may complete
    learners' progress (adding a course never takes a badge away).
    """
    forget_course_index()
    transaction.on_commit(forget_course_index)
    path_id = instance.pk if sender is LearningPath else instance.path_id
    if kwargs.get("signal") is post_delete and sender is LearningPath:
        return
    scheduling.after_commit(scheduling.REEVALUATE_LEARNING_PATH, [path_id])


# ---------------------------------------------------------------------------
# Validation shared by the admin and the REST API
# ---------------------------------------------------------------------------

def parse_course_key(value):
    """The ``CourseKey`` that ``value`` names, or a ValidationError in plain words."""
    text = str(value or "").strip()
    try:
        return CourseKey.from_string(text)
    except InvalidKeyError as error:
        raise ValidationError(
            _("%(value)s is not a course ID; course IDs look like course-v1:Organization+Course+Run."),
            code="invalid_course_id", params={"value": text or _("(empty)")},
        ) from error


def check_courses_exist(course_keys):
    """Refuse course ids that name no course on the platform."""
    unknown = get_platform().unknown_courses(list(course_keys))
    if unknown:
        raise ValidationError(
            ngettext(
                "No course with the ID %(ids)s exists on this site.",
                "No courses with the IDs %(ids)s exist on this site.",
                len(unknown),
            ),
            code="unknown_course", params={"ids": ", ".join(str(key) for key in unknown)},
        )


def check_template(template):
    """Refuse a template that cannot issue badges."""
    if template.state == BadgeTemplate.STATE_ARCHIVED:
        raise ValidationError(
            _("The badge template %(name)s is archived on Credly and can no longer issue badges; "
              "choose an active template."),
            code="archived_template", params={"name": template.name},
        )
    if template.state != BadgeTemplate.STATE_ACTIVE:
        raise ValidationError(
            _("The badge template %(name)s is still a draft on Credly; activate it there first, "
              "then sync the templates."),
            code="draft_template", params={"name": template.name},
        )
    if not template.organization.is_active:
        raise ValidationError(
            _("The badge template %(name)s belongs to an inactive Credly organization."),
            code="inactive_organization", params={"name": template.name},
        )


def check_rule(rule, required_count, course_count):
    """Refuse a rule the path's courses cannot meet."""
    if course_count < 1:
        raise ValidationError(_("Add at least one course to the learning path."), code="no_courses")
    if rule != LearningPath.RULE_AT_LEAST:
        return
    if not required_count:
        raise ValidationError(
            _("With \"at least N courses\", enter N: how many courses earn the badge (1 or more)."),
            code="required_count_missing",
        )
    if required_count > course_count:
        raise ValidationError(
            ngettext(
                "N is %(required)s, but the learning path has only %(count)s course.",
                "N is %(required)s, but the learning path has only %(count)s courses.",
                course_count,
            ),
            code="required_count_too_large", params={"required": required_count, "count": course_count},
        )


def set_courses(path, courses):
    """
    Make ``[(course_key, trigger)]`` the courses of ``path``, row by row.

    Rows are saved and deleted one at a time (paths are short) so that the signals
    that maintain the index and re-evaluate the path fire.
    """
    wanted = {str(key): (key, trigger) for key, trigger in courses}
    for row in list(path.courses.all()):
        if str(row.course_id) not in wanted:
            row.delete()
            continue
        _key, trigger = wanted.pop(str(row.course_id))
        if row.trigger != trigger:
            row.trigger = trigger
            row.save(update_fields=["trigger"])
    for key, trigger in wanted.values():
        LearningPathCourse.objects.create(path=path, course_id=key, trigger=trigger)


# ---------------------------------------------------------------------------
# Progress from events, and the rules
# ---------------------------------------------------------------------------

def record_progress_safely(achievement):
    """``record_progress``, logging instead of raising: a path must never cost a course badge."""
    try:
        if not in_any_path(achievement.course_key, achievement.trigger):
            return []
        with transaction.atomic():
            return record_progress(achievement)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-credly could not record learning-path progress for user %s in %s.",
                      achievement.user_id, achievement.course_key)
        return []


def record_progress(achievement):
    """
    Record the learner's progress on every active path of the course; issue what is now earned.

    Returns the ids of the path badges scheduled for sending.
    """
    entries = list(
        LearningPathCourse.objects.filter(
            course_id=achievement.course_key, trigger=achievement.trigger, path__is_active=True,
        ).select_related("path__template__organization")
    )
    if not entries:
        return []
    user = get_user_model().objects.filter(pk=achievement.user_id).first()
    if user is None:
        return []
    LearningPathProgress.objects.bulk_create(
        [
            LearningPathProgress(
                user_id=user.pk,
                path_id=entry.path_id,
                course_id=achievement.course_key,
                achieved_at=achievement.earned_at,
                source=LearningPathProgress.SOURCE_EVENT,
                trigger_event_type=achievement.event_type,
                trigger_event_id=str(achievement.event_id or ""),
            )
            for entry in entries
        ],
        ignore_conflicts=True,
    )
    scheduled, unmet = evaluate(user, [entry.path for entry in entries], achievement)
    if unmet:
        # Another transaction may be recording the learner's other courses: evaluate again after ours commits.
        scheduling.after_commit(scheduling.REEVALUATE_LEARNER_PATHS, [user.pk])
    return scheduled


def reevaluate_learner(user_id):
    """Issue the badges of the active paths the learner has progress on and now meets (the task after an event)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return []
    paths = list(LearningPath.objects.filter(is_active=True, progress__user=user).distinct()
                 .select_related("template__organization"))
    return evaluate(user, paths)[0] if paths else []


def evaluate(user, paths, achievement=None):
    """
    Issue the badge of each of ``paths`` whose rule ``user`` now meets.

    Paths whose template the learner already holds a path badge of are skipped (an
    earned badge stays earned). For the others, courses missing from the recorded
    progress are looked up in the platform's records once, and recorded when found.
    Returns the ids of the badges scheduled, and how many of the paths stay unmet.
    """
    held = set(
        IssuedBadge.objects.filter(
            user=user, course_id=NO_COURSE, template_id__in={path.template_id for path in paths},
        ).values_list("template_id", flat=True)
    )
    pending = [path for path in paths if path.template_id not in held and path.template.is_usable]
    if not pending:
        return [], 0

    courses = defaultdict(dict)  # path id -> {course id: LearningPathCourse}
    for row in LearningPathCourse.objects.filter(path__in=pending):
        courses[row.path_id][str(row.course_id)] = row
    achieved = defaultdict(dict)  # path id -> {course id: achieved_at}
    for path_id, course_id, achieved_at in LearningPathProgress.objects.filter(
        user=user, path__in=pending,
    ).values_list("path_id", "course_id", "achieved_at"):
        if str(course_id) in courses[path_id]:
            achieved[path_id][str(course_id)] = achieved_at

    unmet = [path for path in pending if _earned_at(path, courses[path.pk], achieved[path.pk]) is None]
    if unmet:
        _add_platform_records(user, unmet, courses, achieved)

    scheduled, unmet = [], 0
    for path in pending:
        earned_at = _earned_at(path, courses[path.pk], achieved[path.pk])
        if earned_at is None:
            unmet += 1
        else:
            scheduled += _issue(path, [(user, earned_at, achievement)])
    return scheduled, unmet


def _earned_at(path, path_courses, achieved):
    """When the rule was met (the moment of the N-th completion), or None if it is not."""
    required = path.required_for(len(path_courses))
    times = sorted(achieved.values())
    if required < 1 or len(times) < required:
        return None
    return times[required - 1]


def _add_platform_records(user, paths, courses, achieved):
    """Count courses the learner completed before the path (or the plugin) existed."""
    missing = defaultdict(set)  # trigger -> {course id}
    for path in paths:
        for course_id, row in courses[path.pk].items():
            if course_id not in achieved[path.pk]:
                missing[row.trigger].add(row.course_id)
    found = {}
    for trigger, keys in missing.items():
        for course_id, earned_at in get_platform().get_user_achievements(user.pk, sorted(keys, key=str),
                                                                         trigger).items():
            found[(str(course_id), trigger)] = earned_at
    if not found:
        return
    rows = []
    for path in paths:
        for course_id, row in courses[path.pk].items():
            earned_at = found.get((course_id, row.trigger))
            if earned_at and course_id not in achieved[path.pk]:
                achieved[path.pk][course_id] = earned_at
                rows.append(LearningPathProgress(
                    user_id=user.pk, path_id=path.pk, course_id=row.course_id, achieved_at=earned_at,
                    source=LearningPathProgress.SOURCE_PLATFORM,
                ))
    LearningPathProgress.objects.bulk_create(rows, ignore_conflicts=True)


def _full_names(users):
    platform = get_platform()
    if hasattr(platform, "get_full_names"):
        return platform.get_full_names(users)
    return {user.pk: platform.get_full_name(user) for user in users}


def _issue(path, earners, event_type=""):
    """
    Queue the badge of ``path`` for each ``(user, earned_at, achievement or None)``.

    The insert is the one of course badges: ``IssuedBadge``'s unique constraint on
    (user, template, empty course) makes a second one a no-op, and the queued rows go
    to the sending task after commit.
    """
    if not path.template.is_usable:
        log.info("Learning path %s: template %s cannot issue badges now.", path.pk, path.template_id)
        return []
    # Names the event did not carry, read for the whole batch at once.
    names = _full_names([user for user, _when, achievement in earners if not (achievement and achievement.full_name)])
    badges = []
    for user, earned_at, achievement in earners:
        achievement = achievement or Achievement(
            user_id=user.pk, course_key=None, trigger="", earned_at=earned_at,
        )
        problem = learner_problem(user, achievement)
        if problem:
            errorlog.learner_data_incomplete(
                path.template.organization, _("the learning path %(name)s") % {"name": path.name},
                user.username, problem, learner_id=user.pk,
            )
            continue
        full_name = (achievement.full_name or names.get(user.pk) or "").strip()
        badges.append(IssuedBadge(
            user_id=user.pk,
            template_id=path.template_id,
            course_id=NO_COURSE,
            learning_path=path,
            recipient_email=achievement.email or user.email,
            recipient_name=full_name,
            earned_at=earned_at,
            trigger_event_type=achievement.event_type or event_type,
            trigger_event_id=str(achievement.event_id or ""),
        ))
    if not badges:
        return []
    IssuedBadge.objects.bulk_create(badges, ignore_conflicts=True)
    queued = list(
        IssuedBadge.objects.filter(
            user_id__in=[badge.user_id for badge in badges],
            template_id=path.template_id,
            course_id=NO_COURSE,
            learning_path=path,
            state=IssuedBadge.STATE_QUEUED,
            current_issuance__next_attempt_at__isnull=True,
        ).values_list("id", flat=True)
    )
    scheduling.after_commit(scheduling.ISSUE_BADGE, queued)
    return queued


# ---------------------------------------------------------------------------
# Whole paths: re-evaluation after an edit, and backfill
# ---------------------------------------------------------------------------

def _qualifying_learners(path, course_ids, required):
    """Ids of learners whose recorded progress meets the rule and who hold no badge of the path's template."""
    holders = IssuedBadge.objects.filter(template_id=path.template_id, course_id=NO_COURSE).values("user_id")
    return list(
        LearningPathProgress.objects.filter(path=path, course_id__in=course_ids)
        .exclude(user_id__in=holders)
        .values("user_id")
        .annotate(done=Count("id"))
        .filter(done__gte=required)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def reevaluate_path(path_or_id, event_type=EVENT_TYPE_EDITED):
    """
    Issue the path's badge to every learner whose recorded progress now meets its rule.

    Run after the path or its courses changed, and at the end of a backfill. One
    aggregate query finds the learners; badges are queued in batches. Returns the ids
    of the badges scheduled.
    """
    path_id = getattr(path_or_id, "pk", path_or_id)
    path = LearningPath.objects.select_related("template__organization").filter(pk=path_id, is_active=True).first()
    if path is None or not path.template.is_usable:
        return []
    course_ids = list(path.courses.values_list("course_id", flat=True))
    required = path.required_for(len(course_ids))
    if required < 1:
        return []
    user_ids = _qualifying_learners(path, course_ids, required)
    scheduled = []
    for start in range(0, len(user_ids), BATCH):
        chunk = user_ids[start:start + BATCH]
        times = defaultdict(list)
        for user_id, achieved_at in LearningPathProgress.objects.filter(
            path=path, user_id__in=chunk, course_id__in=course_ids,
        ).values_list("user_id", "achieved_at"):
            times[user_id].append(achieved_at)
        users = get_user_model().objects.filter(pk__in=chunk).order_by("pk")
        earners = [(user, sorted(times[user.pk])[required - 1], None) for user in users]
        with transaction.atomic():
            scheduled += _issue(path, earners, event_type=event_type)
    if scheduled:
        log.info("Learning path %s: %s badge(s) queued after re-evaluation.", path.pk, len(scheduled))
    return scheduled


def backfill_path(path, dry_run=False):
    """
    Award the path's badge to learners who already meet its rule.

    Every course of the path is read from the platform's records
    (``iter_course_earners``, streamed); completions not recorded yet are stored as
    progress, then the path is re-evaluated. With ``dry_run`` nothing is written.
    Returns a summary dict: ``courses``, ``progress_found`` (new completions),
    ``learners_qualified`` (learners who meet the rule and hold no badge yet) and
    ``badges_queued``.
    """
    courses = list(path.courses.all())
    required = path.required_for(len(courses))
    recorded = defaultdict(set)  # user id -> {course id}
    for user_id, course_id in LearningPathProgress.objects.filter(
        path=path, course_id__in=[row.course_id for row in courses],
    ).values_list("user_id", "course_id"):
        recorded[user_id].add(str(course_id))

    found = 0
    pending_rows = []
    for row in courses:
        for user_id, earned_at in get_platform().iter_course_earners(row.course_id, row.trigger):
            if str(row.course_id) in recorded[user_id] or not earned_at:
                continue
            recorded[user_id].add(str(row.course_id))
            found += 1
            if dry_run:
                continue
            pending_rows.append(LearningPathProgress(
                user_id=user_id, path_id=path.pk, course_id=row.course_id, achieved_at=earned_at,
                source=LearningPathProgress.SOURCE_PLATFORM, trigger_event_type=EVENT_TYPE_BACKFILL,
            ))
            if len(pending_rows) >= BATCH:
                LearningPathProgress.objects.bulk_create(pending_rows, ignore_conflicts=True)
                pending_rows = []
    if pending_rows:
        LearningPathProgress.objects.bulk_create(pending_rows, ignore_conflicts=True)

    holders = set(
        IssuedBadge.objects.filter(template_id=path.template_id, course_id=NO_COURSE).values_list("user_id", flat=True)
    )
    qualified = sum(
        1 for user_id, done in recorded.items() if 1 <= required <= len(done) and user_id not in holders
    )
    queued = [] if dry_run else reevaluate_path(path, event_type=EVENT_TYPE_BACKFILL)
    return {
        "courses": len(courses),
        "progress_found": found,
        "learners_qualified": qualified,
        "badges_queued": len(queued),
    }


# ---------------------------------------------------------------------------
# For the learner's panel
# ---------------------------------------------------------------------------

def progress_for_user(user):
    """
    The active paths ``user`` has started but not earned, for "2 of 3 courses".

    A list, by path name, of ``{"path_id", "name", "template_name", "image_url",
    "done", "required", "courses": [{"course_id", "done"}]}``; four queries at most.
    """
    done_by_path = defaultdict(set)
    for path_id, course_id in LearningPathProgress.objects.filter(user=user, path__is_active=True).values_list(
        "path_id", "course_id",
    ):
        done_by_path[path_id].add(str(course_id))
    if not done_by_path:
        return []
    paths = list(
        LearningPath.objects.filter(pk__in=done_by_path).select_related("template").prefetch_related("courses")
    )
    held = set(
        IssuedBadge.objects.filter(
            user=user, course_id=NO_COURSE, template_id__in={path.template_id for path in paths},
        ).values_list("template_id", flat=True)
    )
    result = []
    for path in paths:
        if path.template_id in held:
            continue
        path_courses = [str(row.course_id) for row in path.courses.all()]
        done = [course_id for course_id in path_courses if course_id in done_by_path[path.pk]]
        result.append({
            "path_id": path.pk,
            "name": path.name,
            "template_name": path.template.name,
            "image_url": credly_url(path.template.image_url),
            "done": len(done),
            "required": path.required_for(len(path_courses)),
            "courses": [{"course_id": course_id, "done": course_id in done} for course_id in path_courses],
        })
    return sorted(result, key=lambda entry: (entry["name"], entry["path_id"]))
