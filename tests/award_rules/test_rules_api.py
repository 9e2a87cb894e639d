"""The award rules through the course staff API, the admin form and Studio's Advanced Settings."""
import json
from decimal import Decimal

import pytest

from openedx_credly.course_staff import advanced_settings
from openedx_credly.models import CourseBadgeTemplate, CredlyErrorLog
from openedx_credly.operators.forms import CourseBadgeTemplateForm
from tests.conftest import COURSE, TEMPLATE_ID

LIST_URL = f"/api/credly/v1/courses/{COURSE}/badge-templates/"


def post(api, body):
    return api.post(LIST_URL, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def staff_api(api, people):
    api.force_authenticate(people["course_staff"])
    return api


def test_api_accepts_and_returns_the_rules(staff_api, template):
    response = post(staff_api, {"template_id": TEMPLATE_ID, "trigger": "certificate", "min_grade": 90,
                                "max_grade": None, "modes": ["Verified", "professional"], "expires_in_months": 24})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["min_grade"], body["max_grade"], body["modes"], body["expires_in_months"]) == (
        90.0, None, ["verified", "professional"], 24)
    mapping = CourseBadgeTemplate.objects.get()
    assert (mapping.min_grade, mapping.modes, mapping.expires_in_months) == (Decimal("90"), ["verified",
                                                                                             "professional"], 24)
    listed = staff_api.get(LIST_URL).json()
    assert listed[0]["min_grade"] == 90.0 and listed[0]["modes"] == ["verified", "professional"]


def test_api_grade_trigger_and_a_post_without_rules_clears_them(staff_api, template):
    assert post(staff_api, {"template_id": TEMPLATE_ID, "trigger": "grade", "min_grade": 89.99,
                            "max_grade": 100}).status_code == 201
    mapping = CourseBadgeTemplate.objects.get()
    assert (mapping.trigger, mapping.min_grade, mapping.max_grade) == ("grade", Decimal("89.99"), Decimal("100"))
    response = post(staff_api, {"template_id": TEMPLATE_ID, "trigger": "certificate"})
    assert response.status_code == 200 and response.json()["min_grade"] is None
    mapping.refresh_from_db()
    assert (mapping.trigger, mapping.min_grade, mapping.max_grade) == ("certificate", None, None)


@pytest.mark.parametrize("body, words", [
    ({"min_grade": 120}, "min_grade is 120, but grades are percents from 0 to 100"),
    ({"min_grade": -5}, "grades are percents from 0 to 100"),
    ({"min_grade": "90"}, "min_grade: Expected a number from 0 to 100"),
    ({"min_grade": True}, "min_grade: Expected a number"),
    ({"min_grade": 95, "max_grade": 90}, "min_grade (95) must be below max_grade (90)"),
    ({"modes": ["verified", "platinum"]}, "Unknown certificate mode(s): platinum."),
    ({"modes": "verified"}, "modes: Expected a list of certificate modes"),
    ({"modes": [3]}, "modes: Expected a string."),
    ({"trigger": "passing", "modes": ["verified"]}, 'modes apply to the trigger "certificate" only'),
    ({"trigger": "grade"}, 'The trigger "grade" awards when the learner\'s grade reaches min_grade'),
    ({"trigger": "enrolled"}, 'use "passing", "certificate" or "grade"'),
    ({"expires_in_months": 0}, "expires_in_months must be from 1 to 1200"),
    ({"expires_in_months": "12"}, "expires_in_months: Expected a whole number of months"),
    ({"expires_in_months": 1.5}, "expires_in_months: Expected a whole number of months"),
    ({"min_grade": 90.123}, "at most two decimals"),
])
def test_api_refuses_bad_rules_with_a_clear_400(staff_api, template, body, words):
    response = post(staff_api, {"template_id": TEMPLATE_ID, "trigger": "certificate", **body})
    assert response.status_code == 400, response.content
    assert words in response.json()["developer_message"]
    assert not CourseBadgeTemplate.objects.exists()


def test_admin_form_validates_and_stores_the_rules(template, course_key):
    data = {"course_id": COURSE, "template": template.pk, "trigger": "certificate", "is_active": "on",
            "min_grade": "90", "max_grade": "", "modes": "verified, Professional", "expires_in_months": "12"}
    form = CourseBadgeTemplateForm(data=data)
    assert form.is_valid(), form.errors
    mapping = form.save()
    assert (mapping.modes, mapping.min_grade, mapping.expires_in_months) == (["verified", "professional"],
                                                                             Decimal("90"), 12)
    assert CourseBadgeTemplateForm(instance=mapping).initial["modes"] == "verified, professional"
    bad = CourseBadgeTemplateForm(data={**data, "modes": "verified, gold"})
    assert not bad.is_valid() and "Unknown certificate mode(s): gold." in str(bad.errors)
    bad = CourseBadgeTemplateForm(data={**data, "min_grade": "95", "max_grade": "90"})
    assert not bad.is_valid() and "must be below max_grade" in str(bad.errors)


def test_advanced_settings_accept_the_rules(course_row, course_key, template):
    course_row.other_course_settings = {"credly": {"badge_template_id": TEMPLATE_ID, "trigger": "certificate",
                                                   "min_grade": 90, "modes": ["verified"], "expires_in_months": 36}}
    course_row.save()
    result = advanced_settings.mirror_course(course_key)
    assert result.added == [TEMPLATE_ID] and not result.errors
    mapping = CourseBadgeTemplate.objects.get()
    assert (mapping.min_grade, mapping.modes, mapping.expires_in_months, mapping.source) == (
        Decimal("90"), ["verified"], 36, CourseBadgeTemplate.SOURCE_ADVANCED_SETTINGS)


def test_advanced_settings_report_bad_rules(course_row, course_key, template):
    course_row.other_course_settings = {"credly": {"badge_template_id": TEMPLATE_ID, "min_grade": 0.9,
                                                   "max_grade": 0.5}}
    course_row.save()
    result = advanced_settings.mirror_course(course_key)
    assert not CourseBadgeTemplate.objects.exists()
    assert "must be below max_grade" in result.errors[0]
    assert CredlyErrorLog.objects.filter(kind=CredlyErrorLog.KIND_CONFIGURATION,
                                         details__contains="must be below max_grade").exists()
