"""The pure rule functions: reading grades, ranges, modes, validation, expiry dates."""
from datetime import datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from openedx_credly.awarding import award_rules
from openedx_credly.awarding.award_rules import evaluate
from openedx_credly.models.rules import RuleError, check_rules, expires_at, grade_percent


def rule(trigger="certificate", min_grade=None, max_grade=None, modes=(), expires_in_months=None):
    return SimpleNamespace(trigger=trigger, min_grade=None if min_grade is None else Decimal(str(min_grade)),
                           max_grade=None if max_grade is None else Decimal(str(max_grade)), modes=list(modes),
                           expires_in_months=expires_in_months)


@pytest.mark.parametrize("raw, percent", [
    ("0.92", Decimal("92")), (0.92, Decimal("92")), ("0.9", Decimal("90")), (0.9, Decimal("90")),
    ("0.8999", Decimal("89.99")), (1, Decimal("100")), (1.0, Decimal("100")), ("1", Decimal("100")),
    (0, Decimal("0")), ("92%", Decimal("92")), ("89.99 %", Decimal("89.99")), (92, Decimal("92")),
    (Decimal("0.57"), Decimal("57")), (0.57, Decimal("57")), (" 0.75 ", Decimal("75")),
])
def test_grades_as_strings_numbers_fractions_and_percents(raw, percent):
    assert grade_percent(raw) == percent


@pytest.mark.parametrize("raw", [None, "", "  ", "abc", "nan", "NaN", "inf", "-0.5", -1, True, False, [], {}, "%"])
def test_what_is_no_grade(raw):
    assert grade_percent(raw) is None


@pytest.mark.parametrize("grade, awards", [
    ("0.90", True), (0.9, True), ("0.9000", True), ("90%", True), ("1.0", True),
    ("0.8999", False), (0.8999, False), ("89.99%", False), ("0.87", False), (0.5, False),
])
def test_distinction_boundary_exactly_90_awards_89_99_does_not(grade, awards):
    assert bool(evaluate(rule(min_grade=90), grade=grade, mode="verified")) is awards


def test_the_reason_names_the_grade_and_the_minimum():
    verdict = evaluate(rule(min_grade=90), grade="0.87")
    assert not verdict
    assert verdict.reason == "grade 0.87 (87 %) is below this mapping's minimum of 90 %"


def test_maximum_is_exclusive_except_100():
    lower, upper = rule(min_grade=80, max_grade=90), rule(min_grade=90, max_grade=100)
    assert evaluate(lower, grade=0.8) and not evaluate(upper, grade=0.8)
    assert not evaluate(lower, grade=0.9) and evaluate(upper, grade=0.9)  # 90 % is in one range only
    assert evaluate(upper, grade=1.0)  # 100 % included
    assert "maximum of 90 %" in evaluate(lower, grade="0.95").reason


def test_a_grade_range_without_a_grade_does_not_award_and_says_so():
    verdict = evaluate(rule(min_grade=50), grade=None)
    assert not verdict and "no grade is known" in verdict.reason
    assert evaluate(rule(), grade=None)  # no range: the grade does not matter


def test_modes_award_only_the_listed_ones():
    verified = rule(modes=["verified", "professional"])
    assert evaluate(verified, mode="verified") and evaluate(verified, mode="Professional")
    verdict = evaluate(verified, mode="audit")
    assert not verdict and '"audit" is not one of this mapping\'s modes (verified, professional)' in verdict.reason
    assert not evaluate(verified, mode="")
    assert evaluate(rule(), mode="audit")  # [] = any mode


def test_check_rules_normalizes():
    assert check_rules("certificate", "90", None, [" Verified ", "verified", "PROFESSIONAL"], "12") == {
        "min_grade": Decimal("90.00"), "max_grade": None, "modes": ["verified", "professional"],
        "expires_in_months": 12,
    }
    assert check_rules("passing") == {"min_grade": None, "max_grade": None, "modes": [], "expires_in_months": None}


@pytest.mark.parametrize("kwargs, code, field", [
    ({"min_grade": -1}, "grade_out_of_range", "min_grade"),
    ({"min_grade": 101}, "grade_out_of_range", "min_grade"),
    ({"max_grade": 100.5}, "grade_out_of_range", "max_grade"),
    ({"min_grade": "ninety"}, "invalid_grade", "min_grade"),
    ({"min_grade": True}, "invalid_grade", "min_grade"),
    ({"min_grade": 89.999}, "invalid_grade", "min_grade"),
    ({"min_grade": 90, "max_grade": 90}, "empty_grade_range", "max_grade"),
    ({"min_grade": 95, "max_grade": 90}, "empty_grade_range", "max_grade"),
    ({"modes": ["verified", "gold"]}, "unknown_modes", "modes"),
    ({"modes": "verified"}, None, None),  # text is split, accepted
    ({"modes": [1]}, "invalid_modes", "modes"),
    ({"modes": {"verified": True}}, "invalid_modes", "modes"),
    ({"modes": ["verified"] * 21}, "invalid_modes", "modes"),
    ({"modes": ["x" * 65]}, "invalid_modes", "modes"),
    ({"expires_in_months": 0}, "invalid_expiry", "expires_in_months"),
    ({"expires_in_months": 1.5}, "invalid_expiry", "expires_in_months"),
    ({"expires_in_months": True}, "invalid_expiry", "expires_in_months"),
    ({"expires_in_months": 5000}, "invalid_expiry", "expires_in_months"),
])
def test_check_rules_refuses_with_the_field_and_a_code(kwargs, code, field):
    if code is None:
        check_rules("certificate", **kwargs)
        return
    with pytest.raises(RuleError) as error:
        check_rules("certificate", **kwargs)
    assert (error.value.code, error.value.field) == (code, field)
    assert error.value.message


def test_unknown_modes_are_named_with_the_known_ones(settings):
    with pytest.raises(RuleError) as error:
        check_rules("certificate", modes=["gold", "verified"])
    assert "Unknown certificate mode(s): gold." in error.value.message
    assert "no-id-professional" in error.value.message and "CREDLY_EXTRA_CERTIFICATE_MODES" in error.value.message
    settings.CREDLY_EXTRA_CERTIFICATE_MODES = ["gold"]
    assert check_rules("certificate", modes=["gold"])["modes"] == ["gold"]


def test_modes_need_a_certificate_trigger_and_grade_needs_a_minimum():
    with pytest.raises(RuleError) as error:
        check_rules("passing", modes=["verified"])
    assert error.value.code == "modes_need_certificate"
    with pytest.raises(RuleError) as error:
        check_rules("grade")
    assert error.value.code == "min_grade_required"
    assert check_rules("grade", min_grade=0)["min_grade"] == Decimal("0.00")
    any_mode = check_rules("passing", modes=[])["modes"]
    assert isinstance(any_mode, list) and not any_mode


@pytest.mark.parametrize("earned, months, expected", [
    (datetime(2026, 1, 31, 10, tzinfo=timezone.utc), 1, datetime(2026, 2, 28, 10, tzinfo=timezone.utc)),
    (datetime(2026, 11, 25, tzinfo=timezone.utc), 12, datetime(2027, 11, 25, tzinfo=timezone.utc)),
    (datetime(2026, 11, 25, tzinfo=timezone.utc), 2, datetime(2027, 1, 25, tzinfo=timezone.utc)),
    (datetime(2024, 2, 29, tzinfo=timezone.utc), 24, datetime(2026, 2, 28, tzinfo=timezone.utc)),
])
def test_expiry_is_calendar_months_after_earning(earned, months, expected):
    assert expires_at(earned, months) == expected


def test_no_expiry_without_months():
    assert expires_at(datetime(2026, 1, 1, tzinfo=timezone.utc), None) is None


def test_describe():
    assert award_rules.describe(rule(min_grade=90, modes=["verified"], expires_in_months=24)) == (
        "grade of at least 90 %; certificate modes: verified; expires 24 month(s) after it is earned")
    assert award_rules.describe(rule(min_grade=80, max_grade=90)) == "grade from 80 % to below 90 %"
    assert award_rules.describe(rule()) == "no further rule"
