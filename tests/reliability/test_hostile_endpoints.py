"""
Every endpoint against the same hostile inputs: no 500, and nothing changes.

Endpoints: the course staff API, the learning-path API, the learner badges API, the
learner panel, the webhook and the admin's forms and lists. Inputs: huge and negative
numbers (in paths, query strings and bodies), deeply nested JSON, wrong content types,
oversized bodies and bytes that are not UTF-8. Each request is made by the most
privileged caller the endpoint has (global staff, or the learner for their own badges),
so a refusal is the input's doing, not the caller's.

``Client(raise_request_exception=True)`` (the default) turns any exception of a view into
a failed test; a 500 the view itself answered fails the status check.
"""
import json

import pytest
from django.apps import apps
from django.test import Client

from devhost.standin.models import Course, CourseRole
from openedx_credly.models import CourseBadgeTemplate, IssuedBadge, LearningPath, LearningPathCourse
from tests.conftest import COURSE, ORG_ID, TEMPLATE_ID, make_learner

HUGE = 10 ** 30
HUGE_NUMBERS = [str(HUGE), "1000000000000000000", str(2 ** 63), str(2 ** 64 + 1), "-1", "-1000000000000000000",
                "0", "1e400", "9" * 5000]
# Deeper than Python's recursion limit (1,000), small enough for the course staff API's 4 KB.
NESTED = b"[" * 1500 + b"]" * 1500
NESTED_OBJECT = b"{\"\":" * 800 + b"1" + b"}" * 800
NOT_UTF8 = [b"\xff\xfe\x00{", b'{"template_id": "\xe9t\xe9"}', b"\xc3\x28"]
WRONG_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
               "application/xml", "", "application/json; charset=latin-1"]
OVERSIZED = json.dumps({"template_id": TEMPLATE_ID, "name": "x", "padding": "x" * 3_000_000}).encode()

COURSE_API = f"/api/credly/v1/courses/{COURSE}/badge-templates/"
PATHS_API = "/api/credly/v1/learning-paths/"
BADGES_API = "/api/credly/v1/badges/"
USER_BADGES_API = "/api/credly/v1/users/{username}/badges/"
PANEL = "/credly/profile/badges/"
WEBHOOK = "/api/credly/v1/webhook/"


def snapshot():
    """Every row of every plugin table (``modified`` timestamps included), to compare before and after."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("openedx_credly").get_models()
    }


@pytest.fixture
def world(mapping, learner, course_key):
    """A course mapping, a learning path, a learner's badge; returns (staff client, learner client, path)."""
    path = LearningPath.objects.create(name="Path", template=mapping.template)
    LearningPathCourse.objects.create(path=path, course_id=course_key)
    IssuedBadge.objects.create(user=learner, template=mapping.template, course_id=course_key, state="accepted",
                               credly_badge_id="b-1", earned_at="2026-11-25T14:03:00Z",
                               badge_url="https://credly.test/badges/b-1")
    staff = make_learner(username="root", email="root@example.com", is_staff=True, is_superuser=True)
    CourseRole.objects.create(user=staff, course_id=course_key, role="staff")
    staff_client, learner_client = Client(), Client()
    staff_client.force_login(staff)
    learner_client.force_login(learner)
    return staff_client, learner_client, path


def assert_refused_cleanly(response, allowed=(400, 404, 405, 413, 415)):
    """A 4xx that says why (JSON endpoints say it in ``developer_message`` or ``detail``)."""
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        assert body.get("developer_message") or body.get("detail"), body


# ------------------------------------------------------------------ numbers in URLs and query strings


@pytest.mark.parametrize("number", HUGE_NUMBERS)
def test_page_numbers_of_the_learner_api(world, number):
    _staff, learner, _path = world
    before = snapshot()
    queries = [f"page={number}", f"page={number}&page_size=100"] + ([f"page_size={number}"] if number != "0" else [])
    for query in queries:
        response = learner.get(f"{BADGES_API}?{query}")
        assert_refused_cleanly(response, (400, 404))
        if response.status_code == 404:
            assert response.json()["detail"] == "Invalid page."  # DRF's words for a page past the last
    assert snapshot() == before


@pytest.mark.parametrize("number", HUGE_NUMBERS)
def test_page_numbers_of_the_public_badges_api(world, learner, number):
    staff, learner_client, _path = world
    before = snapshot()
    for client in (staff, learner_client):
        for query in (f"page={number}", f"page={number}&page_size=100", f"page_size={number}"):
            response = client.get(f"{USER_BADGES_API.format(username=learner.username)}?{query}")
            assert response["Content-Type"].startswith("application/json")
            if response.status_code == 200:  # page_size=0 means the default size
                assert response.json()["count"] == 1
            else:
                assert_refused_cleanly(response, (400, 404))
    assert snapshot() == before


@pytest.mark.parametrize("number", HUGE_NUMBERS)
def test_page_numbers_of_the_panel(world, number):
    _staff, learner, _path = world
    response = learner.get(f"{PANEL}?page={number}")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="credly-card"') == 1  # past the end is the last page; below 1 is the first


def test_a_page_past_the_last_is_an_empty_404_in_the_api_and_the_last_page_in_the_panel(world):
    _staff, learner, _path = world
    assert learner.get(f"{BADGES_API}?page=2").status_code == 404
    assert len(learner.get(f"{BADGES_API}?page=1").json()["results"]) == 1
    assert learner.get(f"{PANEL}?page=2").content.decode().count('class="credly-card"') == 1


@pytest.mark.parametrize("number", [str(HUGE), str(2 ** 63), "18446744073709551617", "0"])
def test_learning_path_ids_in_the_url(world, number):
    staff, _learner, _path = world
    before = snapshot()
    url = f"{PATHS_API}{number}/"
    for response in (staff.get(url), staff.delete(url),
                     staff.patch(url, {"name": "x"}, content_type="application/json"),
                     staff.put(url, {"name": "x"}, content_type="application/json")):
        assert_refused_cleanly(response, (404,))
    assert snapshot() == before


@pytest.mark.parametrize("number", [str(HUGE), "-1", "18446744073709551617"])
def test_template_ids_and_admin_object_ids(world, number):
    staff, _learner, _path = world
    before = snapshot()
    assert_refused_cleanly(staff.get(f"{COURSE_API}{number}/"), (404,))
    assert_refused_cleanly(staff.delete(f"{COURSE_API}{number}/"), (404,))
    for model in ("credlyorganization", "badgetemplate", "coursebadgetemplate", "issuedbadge", "credlyerrorlog",
                  "webhookevent", "learningpath"):
        response = staff.get(f"/admin/openedx_credly/{model}/{number}/change/")
        # Django's admin redirects an unknown id to the list with a message.
        assert response.status_code in (302, 404), (model, response.status_code)
        listing = staff.get(f"/admin/openedx_credly/{model}/", {"p": number})
        assert listing.status_code in (200, 302, 404), (model, listing.status_code)
    assert snapshot() == before


# ------------------------------------------------------------------ bodies

JSON_ENDPOINTS = [
    ("post", COURSE_API),
    ("post", PATHS_API),
    ("put", "{path}"),
    ("patch", "{path}"),
]


def _send(client, method, url, path, raw, content_type="application/json"):
    return client.generic(method.upper(), url.format(path=f"{PATHS_API}{path.pk}/"), data=raw,
                          content_type=content_type)


@pytest.mark.parametrize("method,url", JSON_ENDPOINTS)
@pytest.mark.parametrize("raw", [NESTED, NESTED_OBJECT, b'{"name": ' + NESTED + b"}"], ids=["array", "object", "in"])
def test_nested_json_is_a_400(world, method, url, raw):
    staff, _learner, path = world
    before = snapshot()
    response = _send(staff, method, url, path, raw)
    assert_refused_cleanly(response, (400,))
    assert "nests deeper" in response.json()["developer_message"]
    assert snapshot() == before


@pytest.mark.parametrize("method,url", JSON_ENDPOINTS)
@pytest.mark.parametrize("raw", NOT_UTF8)
def test_bodies_that_are_not_utf8_are_a_400(world, method, url, raw):
    staff, _learner, path = world
    before = snapshot()
    assert_refused_cleanly(_send(staff, method, url, path, raw), (400,))
    assert snapshot() == before


@pytest.mark.parametrize("method,url", JSON_ENDPOINTS)
@pytest.mark.parametrize("content_type", WRONG_TYPES)
def test_wrong_content_types_are_refused(world, method, url, content_type):
    staff, _learner, path = world
    before = snapshot()
    raw = json.dumps({"template_id": TEMPLATE_ID, "name": "Renamed", "courses": []}).encode()
    response = _send(staff, method, url, path, raw, content_type)
    if content_type.startswith("application/json"):
        # JSON is UTF-8 whatever the charset claims; this body is ASCII, so it may be read.
        assert response.status_code < 500
    else:
        assert_refused_cleanly(response, (400, 415))
        assert snapshot() == before


@pytest.mark.parametrize("method,url", JSON_ENDPOINTS)
def test_oversized_bodies_are_refused(world, method, url):
    staff, _learner, path = world
    before = snapshot()
    assert_refused_cleanly(_send(staff, method, url, path, OVERSIZED), (400, 413))
    assert snapshot() == before


@pytest.mark.parametrize("value", [HUGE, -HUGE, -1, 0, 2 ** 63, 1e308, "1" * 5000])
def test_huge_and_negative_numbers_in_bodies(world, value):
    staff, _learner, path = world
    before = snapshot()
    for method, url, body in (
        ("post", PATHS_API, {"name": "N", "template_id": TEMPLATE_ID, "rule": "at_least", "required_count": value,
                             "courses": [{"course_id": COURSE}]}),
        ("patch", "{path}", {"rule": "at_least", "required_count": value}),
        ("post", COURSE_API, {"template_id": value}),
        ("post", COURSE_API, {"template_id": TEMPLATE_ID, "is_active": value}),
    ):
        response = _send(staff, method, url, path, json.dumps(body).encode())
        assert_refused_cleanly(response, (400, 413))  # 413: "1" * 5000 is over the course API's 4 KB
    assert snapshot() == before


@pytest.mark.parametrize("raw", [NESTED, b"\xff\xfe", OVERSIZED[:20_000]])
def test_the_read_only_learner_api_ignores_bodies(world, raw):
    _staff, learner, _path = world
    response = learner.generic("GET", BADGES_API, data=raw, content_type="application/json")
    assert response.status_code == 200
    assert response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert learner.post(BADGES_API, data=raw, content_type="application/json").status_code == 405


@pytest.mark.parametrize("raw,content_type", [
    (NESTED, "application/json"), (NESTED_OBJECT, "application/json"), (b"\xff\xfe", "application/json"),
    (OVERSIZED, "application/json"), (b"id=1", "application/x-www-form-urlencoded"),
    (json.dumps({"id": "e-1", "organization_id": ORG_ID, "event_type": "badge.created", "n": HUGE}).encode()[:50],
     "application/json"),
    (json.dumps({"id": str(HUGE), "organization_id": ORG_ID, "event_type": "badge.created"}).encode(), "text/plain"),
])
def test_webhook_refuses_without_change(world, raw, content_type):
    before = snapshot()
    response = Client().generic("POST", WEBHOOK, data=raw, content_type=content_type)
    if b'"id": "1000' in raw:
        assert response.status_code == 200  # a well-formed notification, whatever the content type says
    else:
        assert_refused_cleanly(response, (400,))
        assert snapshot() == before


# ------------------------------------------------------------------ admin forms


@pytest.mark.parametrize("value", [str(HUGE), "-1", "-" + str(HUGE), "1e400", "9" * 5000])
def test_admin_learning_path_form_refuses_huge_and_negative_numbers(world, value, template):
    staff, _learner, _path = world
    before = snapshot()
    response = staff.post("/admin/openedx_credly/learningpath/add/", {
        "name": "Big", "template": template.pk, "rule": "at_least", "required_count": value, "is_active": "on",
        "courses-TOTAL_FORMS": "1", "courses-INITIAL_FORMS": "0", "courses-MIN_NUM_FORMS": "0",
        "courses-MAX_NUM_FORMS": "1000", "courses-0-course_id": COURSE, "courses-0-trigger": "certificate",
    })
    assert response.status_code == 200  # the form again, with its error; a save would redirect
    assert response.context["adminform"].form.errors or response.context["errors"]
    assert snapshot() == before


def test_admin_search_and_filters_with_hostile_values(world):
    staff, _learner, _path = world
    before = snapshot()
    for model in ("issuedbadge", "credlyerrorlog", "webhookevent", "learningpath", "badgetemplate"):
        for query in ({"q": "\x00" * 10}, {"q": "[" * 5000}, {"q": str(HUGE)}, {"o": str(HUGE)}, {"o": "-1"},
                      {"p": "-1"}, {"all": "", "p": str(HUGE)}):
            response = staff.get(f"/admin/openedx_credly/{model}/", query)
            assert response.status_code in (200, 302, 400), (model, query, response.status_code)
    assert snapshot() == before


HOSTILE_VALUES = [str(HUGE), "-1", "\x00", "[" * 3000, "9" * 5000, "%ff%fe", "course-v1:" + "x" * 3000]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_query_strings_on_every_read_endpoint(world, value):
    staff, learner, path = world
    before = snapshot()
    endpoints = ((staff, "/api/credly/v1/templates/"), (staff, COURSE_API), (staff, f"{COURSE_API}{TEMPLATE_ID}/"),
                 (staff, PATHS_API), (staff, f"{PATHS_API}{path.pk}/"), (learner, BADGES_API), (learner, PANEL),
                 (learner, USER_BADGES_API.format(username="root")),
                 (staff, USER_BADGES_API.format(username=value[:200])))
    for client, url in endpoints:
        for query in ({"course_id": value}, {"page": value, "page_size": value}, {"username": value}):
            response = client.get(url, query)
            assert response.status_code in (200, 400, 403, 404), (url, query, response.status_code)
            if url.startswith("/api/"):
                assert response["Content-Type"].startswith("application/json")
    assert snapshot() == before


# ------------------------------------------------------------------ session callers, CSRF checked (as in a browser)

CSRF_SECRET = "c" * 32


def _browser_client(user):
    """A client whose session API calls pass the CSRF check the way a browser's do (cookie and header)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF_SECRET
    return client


@pytest.mark.parametrize("method,url", JSON_ENDPOINTS)
@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=BoUnDaRy",
                                          "application/x-www-form-urlencoded", "text/plain"])
def test_form_bodies_after_the_csrf_check_are_a_json_415(world, method, url, content_type):
    """The CSRF check parses a form body before the view runs: the view never reads ``request.body`` after it."""
    _staff, _learner, path = world
    staff = _browser_client(_root())
    before = snapshot()
    if content_type.startswith("multipart"):
        raw = (b"--BoUnDaRy\r\nContent-Disposition: form-data; name=\"template_id\"\r\n\r\n"
               + TEMPLATE_ID.encode() + b"\r\n--BoUnDaRy--\r\n")
    else:
        raw = f"template_id={TEMPLATE_ID}".encode()
    response = staff.generic(method.upper(), url.format(path=f"{PATHS_API}{path.pk}/"), data=raw,
                             content_type=content_type, HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert response.status_code == 415, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["developer_message"]
    assert snapshot() == before


def _root():
    from django.contrib.auth import get_user_model  # pylint: disable=import-outside-toplevel
    return get_user_model().objects.get(username="root")


@pytest.mark.parametrize("method,url", JSON_ENDPOINTS)
@pytest.mark.parametrize("size", [70_000, 3_000_000], ids=["over-the-api-limit", "over-django-limit"])
def test_bodies_too_large_are_the_apis_json_413(world, method, url, size, settings):
    """Over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` too: the API's JSON, never Django's HTML page (a traceback under DEBUG)."""
    settings.DEBUG = True
    staff = _browser_client(_root())
    path = world[2]
    before = snapshot()
    raw = json.dumps({"template_id": TEMPLATE_ID, "name": "x" * size}).encode()
    response = staff.generic(method.upper(), url.format(path=f"{PATHS_API}{path.pk}/"), data=raw,
                             content_type="application/json", HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert response.status_code == 413, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "larger than" in response.json()["developer_message"]
    assert len(response.content) < 1000
    assert snapshot() == before


def test_a_django_limit_below_the_apis_is_the_one_answered(world, settings):
    """A site that lowers ``DATA_UPLOAD_MAX_MEMORY_SIZE`` below the API's limit hears its own limit, in JSON."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    staff = _browser_client(_root())
    raw = json.dumps({"name": "x" * 5000, "template_id": TEMPLATE_ID}).encode()
    response = staff.generic("POST", PATHS_API, data=raw, content_type="application/json",
                             HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert response.status_code == 413, (response.status_code, response.content[:300])
    assert "larger than 1000 bytes" in response.json()["developer_message"]


@pytest.mark.parametrize("course_id", ["PY101", "not-a-key", "course-v1:", "course-v1:Org+Course", " ", "\x00",
                                       "course-v1:" + "x" * 300])
def test_admin_course_badge_form_answers_a_course_id_that_is_not_a_key_in_words(world, template, course_id):
    staff, _learner, _path = world
    before = snapshot()
    response = staff.post("/admin/openedx_credly/coursebadgetemplate/add/", {
        "course_id": course_id, "template": template.pk, "trigger": "certificate", "is_active": "on",
    })
    assert response.status_code == 200  # the form again, with its error; a save would redirect
    errors = response.context["adminform"].form.errors
    assert "course_id" in errors, errors
    text = " ".join(errors["course_id"])
    assert any(words in text for words in ("is not a course ID", "required", "at most 255", "Null characters")), text
    assert snapshot() == before


@pytest.mark.parametrize("known", [False, True], ids=["unknown-course", "known-course"])
def test_admin_course_badge_form_warns_of_a_course_the_platform_does_not_know(world, template, known):
    staff, _learner, _path = world
    course_id = "course-v1:Nope+X+Y"
    if known:
        Course.objects.create(course_id=course_id, display_name="Nope")
    response = staff.post("/admin/openedx_credly/coursebadgetemplate/add/", {
        "course_id": course_id, "template": template.pk, "trigger": "certificate", "is_active": "on",
    }, follow=True)
    assert response.redirect_chain, response.content[:500]  # saved: a course may be set up before it exists
    warnings = [str(message) for message in response.context["messages"] if message.level_tag == "warning"]
    if known:
        assert not warnings
    else:
        assert len(warnings) == 1 and "No course with the ID course-v1:Nope+X+Y exists" in warnings[0]
    assert CourseBadgeTemplate.objects.filter(course_id=course_id).exists()
