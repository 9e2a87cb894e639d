"""
The award rules a course mapping stores, and the checks that keep them valid.

A mapping (``CourseBadgeTemplate``) carries a grade range, certificate modes and an
expiry beside its trigger. This module holds their vocabulary, reads grades (the
platform's fractions, a mapping's percents), validates the four fields (``check_rules``:
the model's ``clean()``, the admin form, the course staff API and the Advanced Settings
mirror all call it) and dates an expiry. It sits with the models because the model's
validation uses it; deciding whether a mapping awards an achievement is
``awarding/award_rules.py``. See docs/award_rules.rst.

Grades: the platform's grades are fractions (``0.92``), a mapping's bounds are percents
(``90``). A grade is read exactly (``Decimal``), so 0.9 is 90.0 % and reaches a minimum
of 90, and 0.8999 does not. The minimum is inclusive, the maximum exclusive (so 80–90 and
90–100 do not overlap), except that a maximum of 100 includes 100 %.
"""
import calendar
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

TRIGGER_PASSING = "passing"
TRIGGER_CERTIFICATE = "certificate"
TRIGGER_GRADE = "grade"

# The certificate modes of edx-platform's CourseMode; CREDLY_EXTRA_CERTIFICATE_MODES adds a site's own.
STANDARD_MODES = (
    "audit", "honor", "verified", "professional", "no-id-professional", "credit", "masters",
    "executive-education", "paid-executive-education", "unpaid-executive-education", "paid-bootcamp",
    "unpaid-bootcamp",
)
HUNDRED = Decimal(100)
MAX_EXPIRY_MONTHS = 1200
MAX_MODES = 20
MAX_MODE_LENGTH = 64


class RuleError(ValueError):
    """A rule that cannot be saved; ``message`` says why, ``field`` which field."""

    def __init__(self, message, code, field=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


def known_modes():
    """The certificate modes a mapping may name: the platform's standard ones and the site's own."""
    extra = getattr(settings, "CREDLY_EXTRA_CERTIFICATE_MODES", None) or ()
    return tuple(STANDARD_MODES) + tuple(str(mode).strip().lower() for mode in extra if str(mode).strip())


# ---------------------------------------------------------------------------
# Reading grades
# ---------------------------------------------------------------------------

def grade_percent(value):
    """
    ``value`` as a percent ``Decimal`` (0.92 → 92.00), or None when it is no grade.

    The platform sends fractions, as numbers or strings ("0.92"); a string ending in
    "%" is read as a percent, and so is a number above 1 (no fraction is). Booleans,
    negatives, NaN and text that is not a number are no grade.
    """
    if value is None or isinstance(value, bool):
        return None
    is_percent = False
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            is_percent, text = True, text[:-1].strip()
        if not text:
            return None
    elif isinstance(value, (int, float, Decimal)):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number < 0:
        return None
    if not is_percent and number <= 1:
        number *= HUNDRED
    return number


def format_percent(value):
    """``Decimal('90.00')`` → "90", ``Decimal('89.5')`` → "89.5"."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

def _bound(value, name):
    """The grade bound ``name`` as a percent ``Decimal`` with two decimals, None when unset; else ``RuleError``."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise RuleError(_("%(name)s must be a number from 0 to 100 (a percent), or null.") % {"name": name},
                        "invalid_grade", name)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise RuleError(_("%(name)s must be a number from 0 to 100 (a percent), or null.") % {"name": name},
                        "invalid_grade", name) from error
    if not number.is_finite() or number < 0 or number > HUNDRED:
        raise RuleError(
            _("%(name)s is %(value)s, but grades are percents from 0 to 100 (write 90 for 90 %%, not 0.9).")
            % {"name": name, "value": value}, "grade_out_of_range", name,
        )
    if number != number.quantize(Decimal("0.01")):
        raise RuleError(_("%(name)s takes at most two decimals (such as 89.99).") % {"name": name},
                        "invalid_grade", name)
    return number.quantize(Decimal("0.01"))


def check_rules(trigger, min_grade=None, max_grade=None, modes=None, expires_in_months=None):
    """
    The rules in their stored form (``dict`` of the four fields), or ``RuleError`` saying what to fix.

    Modes are trimmed, lower-cased and de-duplicated; an unknown mode is refused (a typo
    would silently award nothing), and sites with their own modes list them in
    ``CREDLY_EXTRA_CERTIFICATE_MODES``.
    """
    min_value = _bound(min_grade, "min_grade")
    max_value = _bound(max_grade, "max_grade")
    if min_value is not None and max_value is not None and min_value >= max_value:
        raise RuleError(
            _("min_grade (%(min)s) must be below max_grade (%(max)s): the maximum is exclusive, a learner at "
              "exactly max_grade belongs to the next range up.")
            % {"min": format_percent(min_value), "max": format_percent(max_value)}, "empty_grade_range", "max_grade",
        )
    if trigger == TRIGGER_GRADE and min_value is None:
        raise RuleError(
            _('The trigger "grade" awards when the learner\'s grade reaches min_grade: set min_grade (0 to 100).'),
            "min_grade_required", "min_grade",
        )
    normalized_modes = _check_modes(trigger, modes)
    months = _check_months(expires_in_months)
    return {"min_grade": min_value, "max_grade": max_value, "modes": normalized_modes, "expires_in_months": months}


def _check_modes(trigger, modes):
    """The certificate modes normalized (a list, empty for any mode); ``RuleError`` when they cannot be used."""
    if modes in (None, ""):
        return []
    if isinstance(modes, str):
        modes = [part for part in modes.replace(",", " ").split() if part]
    if not isinstance(modes, (list, tuple)) or not all(isinstance(mode, str) for mode in modes):
        raise RuleError(_('modes must be a list of certificate modes such as ["verified", "professional"], '
                          "or [] for any mode."), "invalid_modes", "modes")
    if len(modes) > MAX_MODES or any(len(mode) > MAX_MODE_LENGTH for mode in modes):
        raise RuleError(_("modes takes at most %(count)s certificate modes of at most %(length)s characters each.")
                        % {"count": MAX_MODES, "length": MAX_MODE_LENGTH}, "invalid_modes", "modes")
    normalized = []
    for mode in modes:
        mode = mode.strip().lower()
        if mode and mode not in normalized:
            normalized.append(mode)
    if not normalized:
        return []
    if trigger != TRIGGER_CERTIFICATE:
        raise RuleError(
            _('modes apply to the trigger "certificate" only: passing and grade events carry no certificate mode.'),
            "modes_need_certificate", "modes",
        )
    unknown = [mode for mode in normalized if mode not in known_modes()]
    if unknown:
        raise RuleError(
            _("Unknown certificate mode(s): %(unknown)s. Known modes: %(known)s. (A site with its own modes "
              "lists them in the CREDLY_EXTRA_CERTIFICATE_MODES setting.)")
            % {"unknown": ", ".join(unknown), "known": ", ".join(known_modes())}, "unknown_modes", "modes",
        )
    return normalized


def _check_months(value):
    """``expires_in_months`` as an int from 1 to ``MAX_EXPIRY_MONTHS``, None when unset; else ``RuleError``."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            raise RuleError(_("expires_in_months must be a whole number of months, or null for the template's "
                              "default."), "invalid_expiry", "expires_in_months")
    if value < 1 or value > MAX_EXPIRY_MONTHS:
        raise RuleError(_("expires_in_months must be from 1 to %(max)s, or null for the template's default.")
                        % {"max": MAX_EXPIRY_MONTHS}, "invalid_expiry", "expires_in_months")
    return value


# ---------------------------------------------------------------------------
# Expiry
# ---------------------------------------------------------------------------

def add_months(moment, months):
    """``moment`` plus ``months`` calendar months; the 31st becomes the month's last day when it has none."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expires_at(earned_at, expires_in_months):
    """When a badge earned at ``earned_at`` expires under a mapping's ``expires_in_months`` (None: never set)."""
    if not expires_in_months or not isinstance(earned_at, datetime):
        return None
    return add_months(earned_at, int(expires_in_months))
