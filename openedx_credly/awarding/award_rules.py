"""
Whether a course mapping's rules award an achievement, and why not.

Pure functions over a mapping (anything with ``trigger``, ``min_grade``, ``max_grade``,
``modes`` and ``expires_in_months``) and an achievement's ``grade`` and ``mode``: they say
whether the mapping awards, and why not in words an operator reads (the dry run prints
them). The rules' vocabulary, their validation (``check_rules``) and the expiry date
live with the model they guard, in ``models/rules.py``. See docs/award_rules.rst.
"""
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from openedx_credly.models.rules import HUNDRED, TRIGGER_CERTIFICATE, TRIGGER_PASSING, format_percent, grade_percent
from openedx_credly.platform import get_platform


@dataclass(frozen=True)
class Verdict:
    """Whether a mapping awards an achievement, and why not (empty when it does)."""

    awards: bool
    reason: str = ""

    def __bool__(self):
        return self.awards


def _grade_text(raw, percent):
    if isinstance(raw, str) and raw.strip().endswith("%") or percent is None:
        return str(raw)
    return f"{raw} ({format_percent(percent)} %)"


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

def has_grade_bounds(mapping):
    """Whether the mapping has a minimum or a maximum grade."""
    return mapping.min_grade is not None or mapping.max_grade is not None


def needs_grade_lookup(mapping):
    """A passing mapping with a grade range: passing events carry no grade, the platform's is read."""
    return mapping.trigger == TRIGGER_PASSING and has_grade_bounds(mapping)


def in_range(percent, min_grade, max_grade):
    """Whether ``percent`` is within [min, max) (a maximum of 100 includes 100)."""
    if min_grade is not None and percent < Decimal(min_grade):
        return False
    if max_grade is not None:
        maximum = Decimal(max_grade)
        if percent > maximum or (percent == maximum and maximum < HUNDRED):
            return False
    return True


def evaluate(mapping, grade=None, mode=None):
    """
    Whether ``mapping`` awards an achievement with this ``grade`` (raw, as the platform sent it)
    and certificate ``mode``; a ``Verdict`` with the reason when it does not.
    """
    modes = list(mapping.modes or [])
    if modes and mapping.trigger == TRIGGER_CERTIFICATE:
        if not mode:
            return Verdict(False, _("the certificate has no mode, and this mapping awards only %(modes)s "
                                    "certificates") % {"modes": ", ".join(modes)})
        if str(mode).strip().lower() not in modes:
            return Verdict(False, _('the certificate mode "%(mode)s" is not one of this mapping\'s modes '
                                    "(%(modes)s)") % {"mode": mode, "modes": ", ".join(modes)})
    if not has_grade_bounds(mapping):
        return Verdict(True)
    percent = grade_percent(grade)
    if percent is None:
        return Verdict(False, _("no grade is known for the learner (%(grade)s), and this mapping has a grade "
                                "range") % {"grade": grade if grade not in (None, "") else _("none")})
    if mapping.min_grade is not None and percent < Decimal(mapping.min_grade):
        return Verdict(False, _("grade %(grade)s is below this mapping's minimum of %(min)s %%") % {
            "grade": _grade_text(grade, percent), "min": format_percent(mapping.min_grade)})
    if not in_range(percent, None, mapping.max_grade):
        return Verdict(False, _("grade %(grade)s is not below this mapping's maximum of %(max)s %%") % {
            "grade": _grade_text(grade, percent), "max": format_percent(mapping.max_grade)})
    return Verdict(True)


def achievement_grade(mappings, achievement):
    """
    The achievement's grade; for a passing event (which carries none) read from the platform,
    only when one of ``mappings`` has a grade range.
    """
    if achievement.grade is not None or not any(needs_grade_lookup(mapping) for mapping in mappings):
        return achievement.grade
    lookup = getattr(get_platform(), "get_course_grade", None)
    return lookup(achievement.user_id, achievement.grade_course_key or achievement.course_key) if lookup else None


def awarding_mappings(mappings, achievement):
    """The mappings among ``mappings`` whose rules ``achievement`` meets (no query unless a grade is read)."""
    if not mappings:
        return []
    grade = achievement_grade(mappings, achievement)
    return [mapping for mapping in mappings if evaluate(mapping, grade, achievement.mode)]


def describe(mapping):
    """The mapping's rules in a line of words (for the dry run and the admin)."""
    parts = []
    if mapping.min_grade is not None and mapping.max_grade is not None:
        parts.append(_("grade from %(min)s %% to below %(max)s %%") % {
            "min": format_percent(mapping.min_grade), "max": format_percent(mapping.max_grade)})
    elif mapping.min_grade is not None:
        parts.append(_("grade of at least %(min)s %%") % {"min": format_percent(mapping.min_grade)})
    elif mapping.max_grade is not None:
        parts.append(_("grade below %(max)s %%") % {"max": format_percent(mapping.max_grade)})
    if mapping.modes:
        parts.append(_("certificate modes: %(modes)s") % {"modes": ", ".join(mapping.modes)})
    if mapping.expires_in_months:
        parts.append(_("expires %(months)s month(s) after it is earned") % {"months": mapping.expires_in_months})
    return "; ".join(parts) or _("no further rule")
