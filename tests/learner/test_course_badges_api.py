"""
``GET /api/credly/v1/courses/<course_id>/badges/``: what a course awards and where the learner stands.

Every status, the rule as data, what is left out (archived templates, inactive mappings and
paths), who may ask for whom, the JSON errors, and a query count that does not grow with the
number of mappings, paths and badges.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey

from devhost.standin.models import CourseGrade, CourseRole
from openedx_credly.models import (
    BadgeTemplate,
    CourseBadgeTemplate,
    CredlyOrganization,
    IssuedBadge,
    LearningPath,
    LearningPathCourse,
    LearningPathProgress,
)
from tests.conftest import COURSE, make_learner
from tests.learner.conftest import jwt_header, make_badge

pytestmark = pytest.mark.django_db
URL = f"/api/credly/v1/courses/{COURSE}/badges/"
OTHER_COURSE = "course-v1:OpenCraft+CR102+2026"


def _get(client, user, url=URL, **params):
    client.force_login(user)
    return client.get(url, params)


def _template(organization, slug, name=None, **fields):
    return BadgeTemplate.objects.create(organization=organization, template_id=f"t-{slug}", name=name or slug.title(),
                                        image_url=f"https://credly.test/images/{slug}.png", **fields)


def _map(template, course=COURSE, **fields):
    return CourseBadgeTemplate.objects.create(course_id=CourseKey.from_string(course), template=template, **fields)


def _path(organization, name, courses, done_by=None, **fields):
    """A learning path over ``courses``; ``done_by`` (user, [courses]) records progress."""
    path = LearningPath.objects.create(name=name, template=_template(organization, f"path-{name}", f"{name} badge"),
                                       **fields)
    for course in courses:
        LearningPathCourse.objects.create(path=path, course_id=CourseKey.from_string(course))
    if done_by:
        user, done = done_by
        for course in done:
            LearningPathProgress.objects.create(user=user, path=path, course_id=CourseKey.from_string(course),
                                                achieved_at=timezone.now())
    return path


def _grade(user, fraction, course=COURSE):
    CourseGrade.objects.create(user=user, course_id=CourseKey.from_string(course), percent_grade=fraction)


def _by_template(response):
    assert response.status_code == 200, response.content
    return {item["template_id"]: item for item in response.json()["results"]}


def test_a_course_without_badges_answers_an_empty_list(client, learner):
    response = _get(client, learner)
    assert response.status_code == 200
    assert response.json() == {"course_id": COURSE, "username": "ada", "results": []}
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_rules_are_given_as_data(client, learner, organization):
    _map(_template(organization, "pass"), trigger=CourseBadgeTemplate.TRIGGER_PASSING)
    _map(_template(organization, "distinction"), trigger=CourseBadgeTemplate.TRIGGER_CERTIFICATE,
         min_grade=Decimal("90"), max_grade=Decimal("100"), modes=["verified"], expires_in_months=24)
    _map(_template(organization, "merit"), trigger=CourseBadgeTemplate.TRIGGER_GRADE,
         min_grade=Decimal("80"), max_grade=Decimal("90"))
    _path(organization, "Data Analyst", [COURSE, OTHER_COURSE, "course-v1:X+Y+Z", "course-v1:X+Y+W"])

    badges = _by_template(_get(client, learner))

    assert badges["t-pass"]["rule"] == {
        "kind": "course", "trigger": "passing", "min_grade": None, "max_grade": None, "modes": [],
        "expires_in_months": None, "learning_path_name": "", "courses_in_path": None, "courses_required": None,
    }
    distinction = badges["t-distinction"]["rule"]
    # A maximum of 100 includes 100 %: no upper bound to tell the learner about.
    assert (distinction["trigger"], distinction["min_grade"], distinction["max_grade"]) == ("certificate", 90.0, None)
    assert (distinction["modes"], distinction["expires_in_months"]) == (["verified"], 24)
    assert (badges["t-merit"]["rule"]["min_grade"], badges["t-merit"]["rule"]["max_grade"]) == (80.0, 90.0)
    path = badges["t-path-Data Analyst"]
    assert path["rule"]["kind"] == "learning_path"
    assert (path["rule"]["learning_path_name"], path["rule"]["courses_in_path"],
            path["rule"]["courses_required"]) == ("Data Analyst", 4, 4)
    assert path["name"] == "Data Analyst badge"
    # Course badges first (by name), then the paths.
    assert [item["template_id"] for item in _get(client, learner).json()["results"]] == [
        "t-distinction", "t-merit", "t-pass", "t-path-Data Analyst"]


def test_not_yet_shows_the_grade_against_a_grade_rule(client, learner, organization):
    _map(_template(organization, "distinction"), min_grade=Decimal("90"))
    _map(_template(organization, "pass"), trigger=CourseBadgeTemplate.TRIGGER_PASSING)
    _grade(learner, 0.724)

    badges = _by_template(_get(client, learner))

    assert badges["t-distinction"]["status"] == "not_yet"
    assert badges["t-distinction"]["current_grade"] == 72.4
    # No grade rule: no grade to compare.
    assert badges["t-pass"]["status"] == "not_yet"
    assert badges["t-pass"]["current_grade"] is None
    assert badges["t-pass"]["accept_url"] == "" and badges["t-pass"]["earned_at"] is None


def test_a_learner_without_a_grade_gets_none(client, learner, organization):
    _map(_template(organization, "distinction"), min_grade=Decimal("90"))
    assert _by_template(_get(client, learner))["t-distinction"]["current_grade"] is None


def test_learning_path_progress_counts_the_courses_of_the_path(client, learner, organization):
    # Progress recorded for a course no longer in the path does not count.
    path = _path(organization, "Data Analyst", [COURSE, OTHER_COURSE, "course-v1:X+Y+Z"],
                 done_by=(learner, [COURSE, OTHER_COURSE, "course-v1:Gone+G+1"]),
                 rule=LearningPath.RULE_AT_LEAST, required_count=2)

    item = _by_template(_get(client, learner))["t-path-Data Analyst"]

    assert item["status"] == "not_yet"
    assert (item["courses_done"], item["rule"]["courses_required"], item["rule"]["courses_in_path"]) == (2, 2, 3)
    assert path.pk


@pytest.mark.parametrize("state, status", [
    (IssuedBadge.STATE_QUEUED, "issuing"),
    (IssuedBadge.STATE_FAILED, "issuing"),
    (IssuedBadge.STATE_PENDING, "pending"),
    (IssuedBadge.STATE_ACCEPTED, "accepted"),
    (IssuedBadge.STATE_REVOKED, "not_yet"),
    (IssuedBadge.STATE_REJECTED, "not_yet"),
])
def test_each_state_of_the_learners_badge(client, learner, organization, state, status):
    template = _template(organization, "pass")
    _map(template, trigger=CourseBadgeTemplate.TRIGGER_PASSING)
    badge = make_badge(learner, template, state, course_id=CourseKey.from_string(COURSE))

    item = _by_template(_get(client, learner))["t-pass"]

    assert item["status"] == status
    assert item["accept_url"] == (badge.accept_url if status == "pending" else "")
    assert item["badge_url"] == (badge.badge_url if status in ("pending", "accepted") else "")
    assert (item["earned_at"] is not None) == (status != "not_yet")


def test_an_expired_badge_says_so_with_its_date(client, learner, organization):
    template = _template(organization, "pass")
    _map(template, expires_in_months=12)
    expired = timezone.now() - timedelta(days=3)
    make_badge(learner, template, IssuedBadge.STATE_ACCEPTED, course_id=CourseKey.from_string(COURSE),
               expires_at=expired)

    item = _by_template(_get(client, learner))["t-pass"]

    assert item["status"] == "expired"
    assert item["expires_at"].startswith(expired.strftime("%Y-%m-%dT"))
    assert item["badge_url"]


def test_a_learning_path_badge_earned(client, learner, organization):
    path = _path(organization, "Data Analyst", [COURSE, OTHER_COURSE])
    make_badge(learner, path.template, IssuedBadge.STATE_ACCEPTED, learning_path=path)
    item = _by_template(_get(client, learner))["t-path-Data Analyst"]
    assert item["status"] == "accepted"
    assert item["courses_done"] is None


def test_the_same_template_in_another_course_is_not_this_courses_badge(client, learner, organization):
    template = _template(organization, "pass")
    _map(template)
    _map(template, course=OTHER_COURSE)
    make_badge(learner, template, IssuedBadge.STATE_ACCEPTED, course_id=CourseKey.from_string(OTHER_COURSE))
    assert _by_template(_get(client, learner))["t-pass"]["status"] == "not_yet"


def test_archived_templates_inactive_mappings_paths_and_organizations_are_left_out(client, learner, organization):
    _map(_template(organization, "archived", state=BadgeTemplate.STATE_ARCHIVED))
    _map(_template(organization, "draft", state=BadgeTemplate.STATE_DRAFT))
    _map(_template(organization, "inactive"), is_active=False)
    _path(organization, "Old path", [COURSE], is_active=False)
    paused = CredlyOrganization.objects.create(name="Paused", organization_id="99999999-2222-3333-4444-555555555555",
                                               is_active=False)
    _map(_template(paused, "paused"))
    _map(_template(organization, "kept"))

    assert list(_by_template(_get(client, learner))) == ["t-kept"]


# ---------------------------------------------------------------------------
# Who may ask for whom
# ---------------------------------------------------------------------------

@pytest.fixture(name="ada_pending")
def fixture_ada_pending(learner, organization):
    """ada holds the course's one badge, pending acceptance."""
    template = _template(organization, "pass")
    _map(template)
    return make_badge(learner, template, IssuedBadge.STATE_PENDING, course_id=CourseKey.from_string(COURSE))


def test_anonymous_is_401_with_a_json_error(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert "developer_message" in response.json()


def test_a_jwt_is_accepted(client, learner, ada_pending):
    response = client.get(URL, **jwt_header(learner))
    assert response.status_code == 200
    assert response.json()["results"][0]["accept_url"] == ada_pending.accept_url


def test_a_malformed_course_id_is_a_400(client, learner):
    response = _get(client, learner, url="/api/credly/v1/courses/not-a-course/badges/")
    assert response.status_code == 400
    assert "course id" in response.json()["developer_message"]


def test_another_learner_gets_403(client, other_learner, ada_pending):
    response = _get(client, other_learner, username="ada")
    assert response.status_code == 403
    assert response.json()["developer_message"]
    assert ada_pending.accept_url not in response.content.decode()


@pytest.mark.usefixtures("ada_pending")
def test_staff_of_another_course_gets_403(client, other_learner):
    CourseRole.objects.create(user=other_learner, course_id=CourseKey.from_string(OTHER_COURSE), role="staff")
    assert _get(client, other_learner, username="ada").status_code == 403


@pytest.mark.parametrize("role", ["staff", "instructor"])
def test_course_staff_see_a_learners_view_without_the_accept_link(client, other_learner, ada_pending, role):
    CourseRole.objects.create(user=other_learner, course_id=CourseKey.from_string(COURSE), role=role)
    response = _get(client, other_learner, username="ada")
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert response.json()["username"] == "ada"
    assert item["status"] == "pending"
    assert item["accept_url"] == ""
    assert ada_pending.accept_url not in response.content.decode()


@pytest.mark.usefixtures("ada_pending")
def test_global_staff_see_a_learners_view(client, staff):
    response = _get(client, staff, username="ada")
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "pending"
    assert response.json()["results"][0]["accept_url"] == ""


def test_staff_asking_for_an_unknown_learner_get_404(client, staff):
    response = _get(client, staff, username="nobody")
    assert response.status_code == 404
    assert "nobody" in response.json()["developer_message"]


def test_a_learner_naming_herself_gets_her_accept_link(client, learner, ada_pending):
    assert _get(client, learner, username="ada").json()["results"][0]["accept_url"] == ada_pending.accept_url


# ---------------------------------------------------------------------------
# Cost
# ---------------------------------------------------------------------------

def _seed(learner, organization, count, prefix="c"):
    """``count`` mappings (half with a grade rule), ``count`` paths through the course, all partly earned."""
    key = CourseKey.from_string(COURSE)
    for number in range(count):
        template = _template(organization, f"{prefix}{number}")
        _map(template, min_grade=Decimal("50") if number % 2 else None)
        if number % 3 == 0:
            make_badge(learner, template, IssuedBadge.STATE_ACCEPTED, course_id=key)
        path = _path(organization, f"{prefix}P{number}", [COURSE, f"course-v1:P+{prefix}{number}+1"],
                     done_by=(learner, [COURSE]))
        if number % 3 == 1:
            make_badge(learner, path.template, IssuedBadge.STATE_PENDING, learning_path=path)


def _queries(client, user, **params):
    """``(queries, badges shown)`` of the second request (the first one sets up the session)."""
    client.force_login(user)
    client.get(URL, params)  # the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured), len(response.json()["results"])


def test_query_count_does_not_grow_with_mappings_paths_and_badges(client, learner, organization,
                                                                  django_assert_num_queries):
    _grade(learner, 0.3)
    _seed(learner, organization, 2)
    queries_few, shown_few = _queries(client, learner)
    _seed(learner, organization, 30, prefix="more")
    queries_many, shown_many = _queries(client, learner)

    assert (shown_few, shown_many) == (4, 64)
    assert queries_few == queries_many
    # The session and user (2), mappings, paths, badges, path progress, the grade.
    with django_assert_num_queries(7):
        client.get(URL)


def test_staff_query_count_adds_the_role_check_and_the_learner(client, organization, other_learner,
                                                               django_assert_num_queries):
    learner = make_learner()
    _seed(learner, organization, 3)
    CourseRole.objects.create(user=other_learner, course_id=CourseKey.from_string(COURSE), role="staff")
    client.force_login(other_learner)
    client.get(URL, {"username": "ada"})
    with django_assert_num_queries(9):
        assert client.get(URL, {"username": "ada"}).status_code == 200


def test_a_course_without_badges_costs_two_queries_beyond_the_session(client, learner, django_assert_num_queries):
    client.force_login(learner)
    client.get(URL)
    with django_assert_num_queries(4):
        assert client.get(URL).json()["results"] == []


@pytest.mark.usefixtures("ada_pending")
def test_no_call_to_credly(client, learner, credly_api):
    """``credly_api`` (responses) fails any request it was not told about."""
    assert _get(client, learner).status_code == 200
    assert len(credly_api.calls) == 0


def test_course_staff_may_name_the_learner_by_id(client, other_learner, learner, ada_pending):
    """The learning MFE's staff view of a learner's progress (``/progress/:targetUserId``) knows her id."""
    CourseRole.objects.create(user=other_learner, course_id=CourseKey.from_string(COURSE), role="staff")
    response = _get(client, other_learner, user_id=str(learner.pk))
    assert response.status_code == 200
    assert response.json()["username"] == "ada"
    assert response.json()["results"][0]["status"] == "pending"
    assert ada_pending.accept_url not in response.content.decode()


def test_a_learner_may_not_name_another_by_id(client, other_learner, learner):
    assert _get(client, other_learner, user_id=str(learner.pk)).status_code == 403
    # Her own id is her own view.
    assert _get(client, learner, user_id=str(learner.pk)).status_code == 200


@pytest.mark.parametrize("user_id, status", [("abc", 400), ("999999", 404)])
def test_a_bad_user_id(client, staff, user_id, status):
    response = _get(client, staff, user_id=user_id)
    assert response.status_code == status
    assert response.json()["developer_message"]
