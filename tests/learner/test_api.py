"""``GET /api/credly/v1/badges/``: the learner's badges, who may read them, and what it costs."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from opaque_keys.edx.keys import CourseKey

from devhost.standin.models import Course
from openedx_credly import tasks
from openedx_credly.learners import panel
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization, IssuedBadge
from tests.conftest import make_learner
from tests.learner.conftest import jwt_header, make_badge

URL = "/api/credly/v1/badges/"
pytestmark = pytest.mark.django_db


def _get(client, user=None, **params):
    if user is not None:
        client.force_login(user)
    return client.get(URL, params)


def test_lists_pending_and_accepted_badges_only(client, learner, template, organization, course_key):
    Course.objects.create(course_id=str(course_key), display_name="Credly 101")
    other_templates = [
        BadgeTemplate.objects.create(organization=organization, template_id=f"t-{state}", name=f"T {state}")
        for state in ("accepted", "queued", "rejected", "revoked", "failed")
    ]
    pending = make_badge(learner, template, course_id=course_key)
    accepted = make_badge(learner, other_templates[0], IssuedBadge.STATE_ACCEPTED, accept_url="")
    for other in other_templates[1:]:
        make_badge(learner, other, other.template_id[2:])

    response = _get(client, learner)

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "ada"
    assert body["count"] == 2
    by_id = {item["id"]: item for item in body["results"]}
    assert set(by_id) == {pending.credly_badge_id, accepted.credly_badge_id}
    item = by_id[pending.credly_badge_id]
    assert item == {
        "id": pending.credly_badge_id,
        "name": "Course Finisher",
        "description": "Finished a course.",
        "image_url": "https://credly.test/images/finisher.png",
        "state": "pending",
        "earned_at": pending.earned_at.isoformat().replace("+00:00", "Z"),
        "course_id": str(course_key),
        "course_name": "Credly 101",
        "learning_path_name": "",
        "milestone_name": "",
        "accept_url": pending.accept_url,
        "badge_url": pending.badge_url,
        "template_id": template.template_id,
        "expires_at": None,
        "is_expired": False,
    }
    assert by_id[accepted.credly_badge_id]["state"] == "accepted"
    assert by_id[accepted.credly_badge_id]["accept_url"] == ""
    assert by_id[accepted.credly_badge_id]["course_id"] == ""


def test_accept_url_only_while_pending(client, learner, template):
    # Credly may still hand back an accept link after acceptance; it is never offered then.
    make_badge(learner, template, IssuedBadge.STATE_ACCEPTED, accept_url="https://credly.test/accept/x")
    item = _get(client, learner).json()["results"][0]
    assert item["accept_url"] == ""
    assert item["badge_url"].startswith("https://credly.test/badges/")


def test_unsafe_urls_from_storage_are_not_served(client, learner, template):
    make_badge(learner, template, accept_url="javascript:alert(1)", image_url="data:image/png;base64,AAAA")
    item = _get(client, learner).json()["results"][0]
    assert item["accept_url"] == ""
    # The template's own image stands in for the refused one.
    assert item["image_url"] == "https://credly.test/images/finisher.png"


def test_only_the_requesters_badges(client, learner, other_learner, template):
    make_badge(other_learner, template)
    assert _get(client, learner).json()["results"] == []


def test_anonymous_gets_401(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert "developer_message" in response.json()


def test_other_user_is_403(client, learner, other_learner, template):
    make_badge(other_learner, template)
    response = _get(client, learner, username="grace")
    assert response.status_code == 403
    body = response.json()
    assert body["developer_message"] and body["detail"]
    assert "results" not in body


def test_own_username_is_allowed(client, learner, template):
    make_badge(learner, template)
    response = _get(client, learner, username="ada")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_global_staff_may_ask_for_a_learner(client, staff, learner, template):
    badge = make_badge(learner, template)
    response = _get(client, staff, username="ada")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [badge.credly_badge_id]
    # Accept links are the learner's alone, in all three views of the badges (the panel, this, users/<u>/).
    assert badge.accept_url and response.json()["results"][0]["accept_url"] == ""
    assert _get(client, learner).json()["results"][0]["accept_url"] == badge.accept_url


def test_staff_asking_for_an_unknown_user_gets_404(client, staff):
    response = _get(client, staff, username="nobody")
    assert response.status_code == 404
    assert "developer_message" in response.json()


def test_jwt_authentication(client, learner, template):
    badge = make_badge(learner, template)
    response = client.get(URL, **jwt_header(learner))
    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == badge.credly_badge_id


def test_jwt_of_a_non_staff_user_cannot_read_others(client, learner, other_learner):
    response = client.get(URL, {"username": "grace"}, **jwt_header(learner))
    assert response.status_code == 403


def test_forged_jwt_is_refused(client, learner):
    header = jwt_header(learner)
    token = header["HTTP_AUTHORIZATION"]
    response = client.get(URL, HTTP_AUTHORIZATION=token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    assert response.status_code == 401


def _many_badges(user, organization, count):
    keys = []
    for number in range(count):
        template = BadgeTemplate.objects.create(organization=organization, template_id=f"tmpl-{number}",
                                                name=f"Badge {number}")
        key = CourseKey.from_string(f"course-v1:Org+C{number}+2026")
        Course.objects.create(course_id=str(key), display_name=f"Course {number}")
        CourseBadgeTemplate.objects.create(course_id=key, template=template)
        make_badge(user, template, course_id=key)
        keys.append(key)
    return keys


def _query_count(client, user):
    client.force_login(user)
    client.get(URL)  # warm up: the session and the first-view import mark
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


def test_query_count_is_constant_for_1_and_100_badges(client, organization, django_assert_num_queries):
    one = make_learner(username="one", email="one@example.com")
    hundred = make_learner(username="many", email="many@example.com")
    _many_badges(one, organization, 1)
    for number in range(100):
        template = BadgeTemplate.objects.create(organization=organization, template_id=f"big-{number}",
                                                name=f"Big {number}")
        key = CourseKey.from_string(f"course-v1:Big+C{number}+2026")
        Course.objects.create(course_id=str(key), display_name=f"Big course {number}")
        make_badge(hundred, template, course_id=key)

    queries_one, count_one = _query_count(client, one)
    queries_hundred, count_hundred = _query_count(client, hundred)

    assert (count_one, count_hundred) == (1, 100)
    assert queries_one == queries_hundred
    client.force_login(hundred)
    client.get(URL)
    with django_assert_num_queries(queries_one):
        client.get(URL)


def test_course_names_come_from_one_platform_call(client, learner, organization, monkeypatch):
    _many_badges(learner, organization, 5)
    calls = []
    platform = panel.get_platform()
    original = platform.get_course_names

    def counting(keys):
        calls.append(set(map(str, keys)))
        return original(keys)

    monkeypatch.setattr(platform, "get_course_names", counting)
    results = _get(client, learner).json()["results"]
    assert len(calls) == 1 and len(calls[0]) == 5
    assert {item["course_name"] for item in results} == {f"Course {n}" for n in range(5)}


def test_rendering_never_calls_credly(client, learner, template, credly_api):
    make_badge(learner, template)
    assert _get(client, learner).status_code == 200
    assert len(credly_api.calls) == 0


def test_first_view_enqueues_one_import_after_commit(client, learner, template, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    enqueued = []
    monkeypatch.setattr(tasks.import_badges_for_user, "apply_async",
                        lambda args=None, **kwargs: enqueued.append(args))
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.get(URL)
        client.get(URL)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(URL)
    assert len(callbacks) == 1
    assert enqueued == [[learner.pk]]


def test_staff_viewing_a_learner_does_not_import_for_them(client, staff, learner, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    enqueued = []
    monkeypatch.setattr(tasks.import_badges_for_user, "apply_async",
                        lambda args=None, **kwargs: enqueued.append(args))
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(URL, {"username": learner.username})
    assert not enqueued


def test_first_view_import_can_be_turned_off(client, learner, settings, django_capture_on_commit_callbacks):
    settings.CREDLY_IMPORT_ON_FIRST_VIEW = False
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.get(URL)
    assert callbacks == []


def test_badges_of_a_disconnected_organization_never_show(client, learner, template):
    # Badges exist only through our own templates: a stranger organization has none here.
    stranger = CredlyOrganization.objects.create(name="Elsewhere",
                                                 organization_id="99999999-0000-0000-0000-000000000000")
    foreign = BadgeTemplate.objects.create(organization=stranger, template_id="foreign", name="Foreign")
    make_badge(learner, template)
    make_badge(learner, foreign, IssuedBadge.STATE_QUEUED)
    assert [item["template_id"] for item in _get(client, learner).json()["results"]] == [template.template_id]
