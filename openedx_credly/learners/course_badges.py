"""
What a course awards, and where one learner stands with each badge: the learning MFE's "Course badges".

Read from the plugin's own tables (and the learner's course grade through the platform
adapter), never from Credly, at a constant cost whatever the number of mappings, paths
and badges: the course's mappings, the learning paths the course belongs to, the
learner's badges for them, her progress on those paths, and her grade when a rule needs
it. Only what can still be earned is listed: active mappings and paths whose template
is active (not archived, not a draft) in an active organization.

The words ("Pass the course", "Complete 3 of the 4 courses of …") are the widget's: the
rule is given as data (trigger, grade range, modes, expiry, path size) so that the
sentence is written in the MFE's language, with its number formats (see
docs/course_experience.rst).
"""
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from openedx_credly.awarding.learning_paths import NO_COURSE
from openedx_credly.models import (
    BadgeTemplate,
    CourseBadgeTemplate,
    IssuedBadge,
    LearningPath,
    LearningPathCourse,
    LearningPathProgress,
)
from openedx_credly.models.rules import grade_percent
from openedx_credly.platform import get_platform
from openedx_credly.safe_urls import credly_url

KIND_COURSE = "course"
KIND_LEARNING_PATH = "learning_path"

STATUS_NOT_YET = "not_yet"
STATUS_ISSUING = "issuing"
STATUS_PENDING = "pending"
STATUS_ACCEPTED = "accepted"
STATUS_EXPIRED = "expired"

# The learner's view of a badge's state. Queued and failed badges are on their way (the
# sweeper and the admin retry failures); a revoked or rejected badge is not hers (any more).
_STATUS_BY_STATE = {
    IssuedBadge.STATE_QUEUED: STATUS_ISSUING,
    IssuedBadge.STATE_FAILED: STATUS_ISSUING,
    IssuedBadge.STATE_PENDING: STATUS_PENDING,
    IssuedBadge.STATE_ACCEPTED: STATUS_ACCEPTED,
}


@dataclass(frozen=True)
class AwardRule:
    """How the badge is earned, as data the widget turns into a sentence."""

    kind: str  # KIND_COURSE or KIND_LEARNING_PATH
    trigger: str = ""  # passing, certificate or grade (course badges)
    min_grade: float = None  # percent, inclusive
    max_grade: float = None  # percent, exclusive (None when 100 or more: no upper bound)
    modes: list = field(default_factory=list)
    expires_in_months: int = None
    learning_path_name: str = ""
    courses_in_path: int = None
    courses_required: int = None


@dataclass(frozen=True)
class CourseBadge:
    """One badge a course awards, and the learner's status for it."""

    template_id: str
    name: str
    description: str
    image_url: str
    rule: AwardRule
    status: str
    current_grade: float = None  # percent; for a badge not yet earned under a grade rule
    courses_done: int = None  # for a learning path badge not yet earned
    earned_at: datetime = None
    expires_at: datetime = None
    accept_url: str = ""
    badge_url: str = ""


def _usable(queryset, prefix="template__"):
    """Rows whose template can still be earned: active, in an active organization."""
    return queryset.filter(**{f"{prefix}state": BadgeTemplate.STATE_ACTIVE,
                              f"{prefix}organization__is_active": True})


def _percent(value):
    """A mapping's stored percent (``Decimal``) as a float rounded to 0.01, or None."""
    return None if value is None else round(float(value), 2)


def _grade(fraction):
    """The platform's course grade (a fraction) as a percent rounded to 0.01, or None."""
    number = grade_percent(fraction)
    return None if number is None else round(float(number), 2)


def _upper_bound(max_grade):
    """The exclusive maximum, None when there is none (a maximum of 100 includes 100 %)."""
    if max_grade is None or max_grade >= 100:
        return None
    return round(float(max_grade), 2)


def _status(badge):
    """The learner's status for a badge, from her ``IssuedBadge`` row (None when she has none)."""
    if badge is None:
        return STATUS_NOT_YET
    status = _STATUS_BY_STATE.get(badge.state, STATUS_NOT_YET)
    if status in (STATUS_PENDING, STATUS_ACCEPTED) and badge.expires_at and badge.expires_at <= timezone.now():
        return STATUS_EXPIRED
    return status


def _earned_fields(badge, status, show_accept_link):
    """The dates and links of an earned badge; the accept link only for the learner herself."""
    if badge is None or status in (STATUS_NOT_YET, STATUS_ISSUING):
        return {"earned_at": badge.earned_at if badge is not None and status == STATUS_ISSUING else None}
    return {
        "earned_at": badge.earned_at,
        "expires_at": badge.expires_at,
        "accept_url": credly_url(badge.accept_url) if status == STATUS_PENDING and show_accept_link else "",
        "badge_url": credly_url(badge.badge_url),
    }


def _template_fields(template, badge=None):
    return {
        "template_id": template.template_id,
        "name": template.name,
        "description": template.description,
        "image_url": (credly_url(badge.image_url) if badge is not None else "") or credly_url(template.image_url),
    }


def badges_for_course(learner, course_key, show_accept_links=True):
    """
    The badges ``course_key`` awards, each with ``learner``'s status, course badges first, then paths.

    At most five queries whatever the numbers: mappings, learning paths, the learner's badges,
    her path progress, and her course grade (only when a badge she has not earned has a
    grade rule). ``show_accept_links`` is False when someone else (course staff) is looking.
    """
    mappings = list(_usable(CourseBadgeTemplate.objects.filter(course_id=course_key, is_active=True))
                    .select_related("template").order_by("template__name", "pk"))
    paths = list(
        _usable(LearningPath.objects.filter(
            is_active=True, pk__in=LearningPathCourse.objects.filter(course_id=course_key).values("path_id"),
        )).select_related("template").annotate(course_count=Count("courses")).order_by("name", "pk")
    )
    if not mappings and not paths:
        return []
    held = Q(course_id=course_key, template_id__in=[mapping.template_id for mapping in mappings])
    held |= Q(course_id=NO_COURSE, template_id__in=[path.template_id for path in paths])
    badges = {(str(row.course_id) if row.course_id else "", row.template_id): row
              for row in IssuedBadge.objects.filter(held, user=learner)}
    done_by_path = {}
    if paths:
        in_the_path = LearningPathCourse.objects.filter(path_id=OuterRef("path_id"), course_id=OuterRef("course_id"))
        done_by_path = dict(
            LearningPathProgress.objects.filter(user=learner, path__in=paths).filter(Exists(in_the_path))
            .values("path_id").annotate(done=Count("pk")).values_list("path_id", "done")
        )

    result = []
    grade_needed = False
    course_id = str(course_key)
    for mapping in mappings:
        badge = badges.get((course_id, mapping.template_id))
        status = _status(badge)
        rule = AwardRule(
            kind=KIND_COURSE, trigger=mapping.trigger, min_grade=_percent(mapping.min_grade),
            max_grade=_upper_bound(mapping.max_grade), modes=list(mapping.modes or []),
            expires_in_months=mapping.expires_in_months,
        )
        grade_needed = grade_needed or (status == STATUS_NOT_YET and rule.min_grade is not None)
        result.append((rule, status, badge, mapping.template))
    grade = _grade(get_platform().get_course_grade(learner.pk, course_key)) if grade_needed else None

    course_badges = [
        CourseBadge(
            **_template_fields(template, badge), rule=rule, status=status,
            current_grade=grade if status == STATUS_NOT_YET and rule.min_grade is not None else None,
            **_earned_fields(badge, status, show_accept_links),
        )
        for rule, status, badge, template in result
    ]
    for path in paths:
        badge = badges.get(("", path.template_id))
        status = _status(badge)
        rule = AwardRule(kind=KIND_LEARNING_PATH, learning_path_name=path.name, courses_in_path=path.course_count,
                         courses_required=path.required_for(path.course_count))
        course_badges.append(CourseBadge(
            **_template_fields(path.template, badge), rule=rule, status=status,
            courses_done=min(done_by_path.get(path.pk, 0), rule.courses_required) if status == STATUS_NOT_YET
            else None,
            **_earned_fields(badge, status, show_accept_links),
        ))
    return course_badges
