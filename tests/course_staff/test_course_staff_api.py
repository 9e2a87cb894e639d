"""The course staff REST API: who may call it, what it accepts, what it refuses, and its history."""
import json
from unittest import mock

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from edx_django_utils.plugins import get_plugin_url_patterns
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt
from rest_framework_jwt.settings import api_settings as jwt_api_settings

from openedx_credly.course_staff import course_settings
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate
from tests.conftest import COURSE, TEMPLATE_ID
from tests.course_staff.conftest import ARCHIVED_ID, DRAFT_ID, OTHER_COURSE

LIST_URL = f"/api/credly/v1/courses/{COURSE}/badge-templates/"
DETAIL_URL = f"/api/credly/v1/courses/{COURSE}/badge-templates/{TEMPLATE_ID}/"
TEMPLATES_URL = "/api/credly/v1/templates/"


def post(api, body, url=LIST_URL):
    return api.post(url, data=json.dumps(body), content_type="application/json")


# ---------------------------------------------------------------- roles

@pytest.mark.parametrize("role, expected", [
    ("global_staff", 201),
    ("course_staff", 201),
    ("course_instructor", 201),
    ("other_course_staff", 403),
    ("beta_tester", 403),
    ("learner", 403),
])
def test_post_by_role(api, people, template, role, expected):
    api.force_authenticate(people[role])

    response = post(api, {"template_id": TEMPLATE_ID, "trigger": "certificate"})

    assert response.status_code == expected, response.content
    assert CourseBadgeTemplate.objects.filter(course_id=COURSE).count() == (1 if expected == 201 else 0)
    if expected == 403:
        assert response.json()["developer_message"]


@pytest.mark.parametrize("role, expected", [
    ("global_staff", 200), ("course_staff", 200), ("course_instructor", 200),
    ("other_course_staff", 403), ("learner", 403),
])
def test_list_and_delete_by_role(api, people, mapping, role, expected):
    api.force_authenticate(people[role])

    listed = api.get(LIST_URL)
    deleted = api.delete(DETAIL_URL)

    assert listed.status_code == expected
    assert deleted.status_code == (204 if expected == 200 else 403)
    assert CourseBadgeTemplate.objects.filter(pk=mapping.pk).exists() is (expected != 200)


def test_inactive_course_staff_is_refused(api, people, template):
    user = people["course_staff"]
    user.is_active = False
    user.save()
    api.force_authenticate(user)

    assert post(api, {"template_id": TEMPLATE_ID}).status_code == 403


@pytest.mark.parametrize("url", [TEMPLATES_URL, LIST_URL, DETAIL_URL])
def test_anonymous_gets_401(api, template, url):
    response = api.get(url)

    assert response.status_code == 401
    assert response.json()["developer_message"]
    assert post(api, {"template_id": TEMPLATE_ID}).status_code == 401
    assert api.delete(DETAIL_URL).status_code == 401


def test_anonymous_with_a_malformed_course_id_still_gets_401(api):
    assert api.get("/api/credly/v1/courses/not-a-course/badge-templates/").status_code == 401


def jwt_header(user):
    """The Authorization header of a JWT for ``user``, with the prefix the host configured ("JWT" in the LMS)."""
    return f"{jwt_api_settings.JWT_AUTH_HEADER_PREFIX} {generate_jwt(user)}"


def test_jwt_authentication(api, people, template):
    api.credentials(HTTP_AUTHORIZATION=jwt_header(people["course_staff"]))

    created = post(api, {"template_id": TEMPLATE_ID, "trigger": "passing"})
    listed = api.get(LIST_URL)

    assert created.status_code == 201, created.content
    assert [item["template_id"] for item in listed.json()] == [TEMPLATE_ID]


def test_jwt_of_a_learner_is_refused(api, people, template):
    api.credentials(HTTP_AUTHORIZATION=jwt_header(people["learner"]))

    assert api.get(LIST_URL).status_code == 403


def test_session_authentication_enforces_csrf(people, template, client):
    client.force_login(people["course_staff"])
    client.handler.enforce_csrf_checks = True

    response = client.post(LIST_URL, data=json.dumps({"template_id": TEMPLATE_ID}), content_type="application/json")

    assert response.status_code == 403
    assert not CourseBadgeTemplate.objects.exists()


# ---------------------------------------------------------------- templates list

@pytest.mark.parametrize("role, expected", [
    ("global_staff", 200), ("course_staff", 200), ("course_instructor", 200), ("other_course_staff", 200),
    ("beta_tester", 403), ("learner", 403),
])
def test_templates_list_who(api, people, template, role, expected):
    api.force_authenticate(people[role])

    assert api.get(TEMPLATES_URL).status_code == expected


def test_templates_list_shows_only_usable_templates(api, people, template, archived_template, draft_template, *,
                                                    organization):
    from openedx_credly.models import CredlyOrganization  # pylint: disable=import-outside-toplevel

    off = CredlyOrganization.objects.create(name="Switched off", organization_id="off-org", is_active=False)
    BadgeTemplate.objects.create(organization=off, template_id="tpl-of-inactive-org", name="Hidden")
    api.force_authenticate(people["course_staff"])

    data = api.get(TEMPLATES_URL).json()

    assert data == [{
        "id": TEMPLATE_ID, "name": "Course Finisher", "description": "Finished a course.",
        "image_url": "https://credly.test/images/finisher.png",
        "organization": {"id": organization.organization_id, "name": organization.name},
    }]
    assert "api_token" not in json.dumps(data) and organization.api_token not in json.dumps(data)


# ---------------------------------------------------------------- POST, GET, DELETE

def test_post_creates_then_updates(api, people, template):
    api.force_authenticate(people["course_staff"])

    first = post(api, {"template_id": TEMPLATE_ID, "trigger": "certificate", "revoke_on_certificate_revoked": False})
    second = post(api, {"template_id": TEMPLATE_ID, "trigger": "passing", "revoke_on_certificate_revoked": True})
    again = post(api, {"template_id": TEMPLATE_ID, "trigger": "passing", "revoke_on_certificate_revoked": True})

    assert (first.status_code, second.status_code, again.status_code) == (201, 200, 200)
    mapping = CourseBadgeTemplate.objects.get()
    assert (mapping.trigger, mapping.revoke_on_certificate_revoked, mapping.source) == ("passing", True, "api")
    assert mapping.created_by == people["course_staff"]
    body = second.json()
    assert set(body) >= {"template_id", "name", "image_url", "trigger", "is_active", "revoke_on_certificate_revoked",
                         "source", "created", "modified"}
    assert body["trigger"] == "passing" and body["name"] == "Course Finisher"


def test_list_shows_the_course_mappings_only(api, people, template, mapping):
    from opaque_keys.edx.keys import CourseKey  # pylint: disable=import-outside-toplevel

    CourseBadgeTemplate.objects.create(course_id=CourseKey.from_string(OTHER_COURSE), template=template)
    api.force_authenticate(people["course_instructor"])

    data = api.get(LIST_URL).json()

    assert len(data) == 1
    assert data[0]["template_id"] == TEMPLATE_ID
    assert data[0]["image_url"] == "https://credly.test/images/finisher.png"
    assert data[0]["trigger"] == "certificate" and data[0]["is_active"] is True
    assert data[0]["source"] == "admin"


def test_delete_then_404(api, people, mapping):
    api.force_authenticate(people["course_staff"])

    assert api.get(DETAIL_URL).status_code == 200
    assert api.delete(DETAIL_URL).status_code == 204
    missing = api.delete(DETAIL_URL)

    assert missing.status_code == 404
    assert TEMPLATE_ID in missing.json()["developer_message"]
    assert not CourseBadgeTemplate.objects.exists()


def test_old_style_course_ids_are_accepted(api, people, template):
    api.force_authenticate(people["global_staff"])

    response = post(api, {"template_id": TEMPLATE_ID}, url="/api/credly/v1/courses/OpenCraft/CR1/2015/badge-templates/")

    assert response.status_code == 201
    assert str(CourseBadgeTemplate.objects.get().course_id) == "OpenCraft/CR1/2015"


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("body, words", [
    ({"template_id": "no-such-template"}, "No badge template"),
    ({"template_id": ARCHIVED_ID}, "archived"),
    ({"template_id": DRAFT_ID}, "not active"),
    ({"template_id": TEMPLATE_ID, "trigger": "enrolled"}, "not a trigger"),
    ({"template_id": TEMPLATE_ID, "trigger": 3}, "not a trigger"),
    ({"template_id": 12345}, "template_id: Expected a string"),
    ({"template_id": ["x"]}, "template_id: Expected a string"),
    ({"template_id": TEMPLATE_ID, "revoke_on_certificate_revoked": "false"}, "Expected true or false"),
    ({"template_id": TEMPLATE_ID, "is_active": 1}, "Expected true or false"),
    ({"template_id": TEMPLATE_ID, "course": "x"}, "Unknown field(s): course"),
    ({}, "template_id"),
    ({"template_id": "x" * 65}, "template_id"),
    ([{"template_id": TEMPLATE_ID}], "JSON object"),
])
def test_post_errors_are_400_with_developer_message(api, people, template, archived_template, draft_template, *,
                                                    body, words):
    api.force_authenticate(people["course_staff"])

    response = post(api, body)

    assert response.status_code == 400, response.content
    assert words in response.json()["developer_message"]
    assert response.json()["detail"]
    assert not CourseBadgeTemplate.objects.exists()


def test_template_of_an_inactive_organization_is_refused(api, people, template, organization):
    organization.is_active = False
    organization.save()
    api.force_authenticate(people["global_staff"])

    response = post(api, {"template_id": TEMPLATE_ID})

    assert response.status_code == 400
    assert response.json()["error_code"] == "inactive_organization"


@pytest.mark.parametrize("course_id", ["not-a-course", "course-v1:only-org", "course-v1:a+b+c+d+e+f+g"])
def test_malformed_course_id_is_400(api, people, template, course_id):
    api.force_authenticate(people["global_staff"])

    list_url = f"/api/credly/v1/courses/{course_id}/badge-templates/"
    for response in (api.get(list_url),
                     post(api, {"template_id": TEMPLATE_ID}, url=list_url),
                     api.delete(f"/api/credly/v1/courses/{course_id}/badge-templates/{TEMPLATE_ID}/")):
        assert response.status_code == 400
        assert "is not a course id" in response.json()["developer_message"]
    assert not CourseBadgeTemplate.objects.exists()


def test_malformed_json_is_400(api, people, template):
    api.force_authenticate(people["course_staff"])

    response = api.post(LIST_URL, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["developer_message"]


def test_oversized_body_is_413(api, people, template):
    api.force_authenticate(people["course_staff"])

    response = post(api, {"template_id": TEMPLATE_ID, "padding": "x" * 10000})

    assert response.status_code == 413
    assert "larger than" in response.json()["developer_message"]
    assert not CourseBadgeTemplate.objects.exists()


# ---------------------------------------------------------------- history

def test_api_changes_are_in_the_admin_history(api, people, template):
    user = people["course_staff"]
    api.force_authenticate(user)

    post(api, {"template_id": TEMPLATE_ID})
    mapping_pk = CourseBadgeTemplate.objects.get().pk
    post(api, {"template_id": TEMPLATE_ID, "trigger": "passing"})
    api.delete(DETAIL_URL)

    entries = list(LogEntry.objects.filter(object_id=str(mapping_pk)).order_by("id"))
    assert [entry.action_flag for entry in entries] == [ADDITION, CHANGE, DELETION]
    assert {entry.user_id for entry in entries} == {user.pk}
    assert "REST API" in entries[0].change_message
    assert "trigger" in entries[1].change_message
    assert all(entry.content_type.model_class() is CourseBadgeTemplate for entry in entries)


def test_a_repeated_identical_post_writes_no_history(api, people, template):
    api.force_authenticate(people["course_staff"])

    post(api, {"template_id": TEMPLATE_ID})
    post(api, {"template_id": TEMPLATE_ID})

    assert LogEntry.objects.count() == 1


def test_history_is_shown_on_the_admin_history_page(api, client, people, template, django_user_model):
    api.force_authenticate(people["course_staff"])
    post(api, {"template_id": TEMPLATE_ID})
    admin = django_user_model.objects.create_superuser("operator", "op@example.com", "pw")
    client.force_login(admin)

    page = client.get(f"/admin/openedx_credly/coursebadgetemplate/{CourseBadgeTemplate.objects.get().pk}/history/")

    assert page.status_code == 200
    assert "cstaff" in page.content.decode()
    assert "REST API" in page.content.decode()


# ---------------------------------------------------------------- race

def test_a_post_that_loses_the_race_updates_the_winner_row(api, people, template, course_key):
    """Another request inserts the mapping between our look-up and our insert: one row, a 200."""
    api.force_authenticate(people["course_staff"])

    def look_up_before_the_winner_commits(*args):
        # The other request's row lands just after our look-up saw nothing.
        CourseBadgeTemplate.objects.create(course_id=course_key, template=template, trigger="certificate",
                                           source="api")

    with mock.patch.object(course_settings, "_locked_mapping", side_effect=look_up_before_the_winner_commits):
        response = post(api, {"template_id": TEMPLATE_ID, "trigger": "passing"})

    assert response.status_code == 200, response.content
    assert CourseBadgeTemplate.objects.count() == 1
    assert CourseBadgeTemplate.objects.get().trigger == "passing"


# ---------------------------------------------------------------- Studio

def _route_patterns(patterns, prefix=""):
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from _route_patterns(pattern.url_patterns, text)
        else:
            yield text


@pytest.mark.parametrize("project", ["lms.djangoapp", "cms.djangoapp"])
def test_the_api_is_served_by_the_lms_and_by_studio(project):
    routes = list(_route_patterns(get_plugin_url_patterns(project)))

    assert any(route.endswith("api/credly/v1/templates/") for route in routes), routes
    assert any("api/credly/v1/^courses/(?P<course_id>.+?)/badge-templates/$" in route for route in routes), routes
    assert any("badge-templates/(?P<template_id>[^/]+)/$" in route for route in routes), routes


def test_usable_templates_matches_the_api(template, archived_template):
    assert list(course_settings.usable_templates()) == [template]
