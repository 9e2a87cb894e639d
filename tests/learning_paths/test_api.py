"""The learning-paths REST API: permissions, validation, and edits that re-evaluate progress."""
from datetime import datetime, timezone

import pytest
from django.urls import reverse

from devhost.standin import models as standin
from openedx_credly.awarding.recording import Achievement, record_achievement
from openedx_credly.models import BadgeTemplate, IssuedBadge, LearningPath, LearningPathCourse
from tests.conftest import make_learner
from tests.learning_paths.conftest import COURSE_A, COURSE_B, COURSE_C, make_path

pytestmark = pytest.mark.django_db

LIST_URL = "/api/credly/v1/learning-paths/"


def detail_url(path):
    return f"{LIST_URL}{path.pk}/"


@pytest.fixture
def staff(client):
    user = make_learner(username="staff", email="staff@example.com", is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def course_staff(client, courses):
    user = make_learner(username="teacher", email="teacher@example.com")
    standin.CourseRole.objects.create(user=user, course_id=courses[0], role="staff")
    client.force_login(user)
    return client


def body(path_template, **overrides):
    data = {"name": "Data path", "template_id": path_template.template_id, "rule": "all",
            "courses": [{"course_id": COURSE_A}, {"course_id": COURSE_B, "trigger": "passing"}]}
    data.update(overrides)
    return data


def test_url_is_named():
    assert reverse("openedx_credly:api_v1:learning_paths") == LIST_URL


def test_anonymous_gets_401(client, courses, path_template):
    path = make_path(path_template, courses[:1])
    assert client.get(LIST_URL).status_code == 401
    assert client.get(detail_url(path)).status_code == 401
    response = client.post(LIST_URL, body(path_template), content_type="application/json")
    assert response.status_code == 401
    assert "developer_message" in response.json()


def test_learner_gets_403(client, learner, courses, path_template):
    path = make_path(path_template, courses[:1])
    client.force_login(learner)
    for response in (client.get(LIST_URL), client.get(f"{LIST_URL}?course_id={COURSE_A}"),
                     client.post(LIST_URL, body(path_template), content_type="application/json"),
                     client.delete(detail_url(path))):
        assert response.status_code == 403
        assert response.json()["developer_message"]
    assert LearningPath.objects.count() == 1


def test_a_path_the_caller_may_not_see_answers_like_one_that_does_not_exist(
        client, learner, courses, path_template):
    path = make_path(path_template, courses[:1])
    client.force_login(learner)
    hidden = client.get(detail_url(path))
    missing = client.get(f"{LIST_URL}{path.pk + 1000}/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["developer_message"].replace(str(path.pk), "N") == \
        missing.json()["developer_message"].replace(str(path.pk + 1000), "N")


def test_staff_create_read_update_delete(staff, courses, path_template, template):
    response = staff.post(LIST_URL, body(path_template), content_type="application/json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["template_id"] == path_template.template_id
    assert created["template_name"] == "Specialist"
    assert created["required"] == 2
    assert created["courses"] == [{"course_id": COURSE_A, "trigger": "certificate"},
                                  {"course_id": COURSE_B, "trigger": "passing"}]
    path = LearningPath.objects.get(pk=created["id"])
    assert path.created_by.username == "staff"

    assert staff.get(LIST_URL).json()[0]["id"] == path.pk
    assert staff.get(detail_url(path)).json()["name"] == "Data path"

    response = staff.patch(detail_url(path), {"rule": "at_least", "required_count": 1,
                                              "courses": [{"course_id": COURSE_C}]},
                           content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["courses"] == [{"course_id": COURSE_C, "trigger": "certificate"}]
    assert response.json()["name"] == "Data path"
    assert [str(row.course_id) for row in LearningPathCourse.objects.filter(path=path)] == [COURSE_C]

    response = staff.put(detail_url(path), body(template, name="Renamed"), content_type="application/json")
    assert response.status_code == 200, response.json()
    path.refresh_from_db()
    assert (path.name, path.template, path.rule, path.required_count) == ("Renamed", template, "all", None)

    assert staff.delete(detail_url(path)).status_code == 204
    assert not LearningPath.objects.exists()
    assert staff.get(detail_url(path)).status_code == 404


def test_course_staff_read_their_courses_paths(course_staff, courses, path_template, template):
    theirs = make_path(path_template, courses[:2], name="Theirs")
    other = make_path(template, courses[1:], name="Other")
    response = course_staff.get(LIST_URL, {"course_id": COURSE_A})
    assert response.status_code == 200
    assert [entry["name"] for entry in response.json()] == ["Theirs"]
    # The same with the "+" left unencoded (it arrives as a space).
    assert course_staff.get(f"{LIST_URL}?course_id={COURSE_A}").json() == response.json()
    assert course_staff.get(detail_url(theirs)).status_code == 200

    assert course_staff.get(detail_url(other)).status_code == 404  # as if it did not exist
    assert course_staff.get(f"{LIST_URL}?course_id={COURSE_B}").status_code == 403
    assert course_staff.get(LIST_URL).status_code == 403
    assert course_staff.patch(detail_url(theirs), {"name": "Mine now"},
                              content_type="application/json").status_code == 403
    assert course_staff.delete(detail_url(theirs)).status_code == 403
    assert LearningPath.objects.get(pk=theirs.pk).name == "Theirs"


def test_malformed_course_id_in_query(staff, courses):
    response = staff.get(f"{LIST_URL}?course_id=nonsense")
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_course_id"


def assert_invalid(response, field, text):
    assert response.status_code == 400, response.content
    data = response.json()
    assert text in data["developer_message"]
    assert data["detail"] == data["developer_message"]
    assert field in data["field_errors"]
    assert not LearningPath.objects.exists()


@pytest.mark.parametrize("courses_body, text", [
    ([{"course_id": "not-a-course"}], "not-a-course is not a course ID"),
    ([{"course_id": "course-v1:Nobody+NONE+2026"}], "No course with the ID course-v1:Nobody+NONE+2026 exists"),
    ([{"course_id": COURSE_A}, {"course_id": COURSE_A}], "listed twice"),
    ([], "Add at least one course"),
    ([{"course_id": COURSE_A, "trigger": "enrolled"}], '"enrolled" is not a trigger'),
])
def test_invalid_courses(staff, courses, path_template, courses_body, text):
    response = staff.post(LIST_URL, body(path_template, courses=courses_body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert text in response.json()["developer_message"]
    assert not LearningPath.objects.exists()


def test_n_larger_than_the_course_count(staff, courses, path_template):
    response = staff.post(LIST_URL, body(path_template, rule="at_least", required_count=3),
                          content_type="application/json")
    assert_invalid(response, "non_field_errors", "N is 3, but the learning path has only 2 courses.")


def test_at_least_needs_n(staff, courses, path_template):
    response = staff.post(LIST_URL, body(path_template, rule="at_least"), content_type="application/json")
    assert_invalid(response, "non_field_errors", "enter N")


def test_archived_template(staff, courses, path_template):
    path_template.state = BadgeTemplate.STATE_ARCHIVED
    path_template.save()
    response = staff.post(LIST_URL, body(path_template), content_type="application/json")
    assert_invalid(response, "non_field_errors", "is archived on Credly")


def test_unknown_template(staff, courses, path_template):
    response = staff.post(LIST_URL, body(path_template, template_id="nope"), content_type="application/json")
    assert_invalid(response, "template_id", 'No badge template has the ID "nope"')


def test_unknown_field(staff, courses, path_template):
    response = staff.post(LIST_URL, body(path_template, colour="red"), content_type="application/json")
    assert_invalid(response, "non_field_errors", "Unknown field(s): colour")


def test_removing_a_course_through_the_api_re_evaluates(staff, learner, courses, path_template, credly_badges, *,
                                                        django_capture_on_commit_callbacks):
    path = make_path(path_template, courses)
    for course_key in courses[:2]:
        record_achievement(Achievement(user_id=learner.pk, course_key=course_key, trigger="certificate",
                                       earned_at=datetime(2026, 2, 1, tzinfo=timezone.utc), email=learner.email))
    assert not IssuedBadge.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.patch(detail_url(path), {"courses": [{"course_id": COURSE_A}, {"course_id": COURSE_B}]},
                               content_type="application/json")
    assert response.status_code == 200, response.json()
    [badge] = IssuedBadge.objects.filter(learning_path=path)
    assert badge.user == learner
    assert badge.state == IssuedBadge.STATE_PENDING
