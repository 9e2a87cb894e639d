"""What a learner earned, as the platform told us, and whether Credly can be sent a badge for them."""
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Achievement:
    """A learner passed a course, earned its certificate or reached a grade."""

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
    # Where the platform keeps the learner's grade when not under ``course_key``: a CCX's own key
    # (a CCX learner earns the badge of the master course, graded in the CCX).
    grade_course_key: object = None


def badge_course(course_key):
    """The course whose mappings a learner of ``course_key`` earns: a CCX's master course, else the course itself."""
    # The platform's own test (grades' emit_course_passing_status_update): a CCX key has a ``ccx`` part.
    if getattr(course_key, "ccx", None):
        return course_key.to_course_locator()
    return course_key


def learner_problem(user, achievement):
    """Why this learner cannot be sent a badge, or None."""
    if user is None:
        return _("no account with id %(id)s exists.") % {"id": achievement.user_id}
    if not user.is_active:
        return _("the account is inactive (not activated, disabled or retired).")
    if not (achievement.email or user.email):
        return _("the account has no email address, which Credly needs to send the badge.")
    return None
