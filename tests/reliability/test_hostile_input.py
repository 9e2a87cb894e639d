"""
Hostile and bad input: every answer is a clear 4xx (or the webhook's 200), never a 500,
and nothing changes that should not.

* Webhook: property-based fuzzing of bodies and content types; a flood of one event id
  costs one fetch; a forged notification (an id Credly does not confirm) changes nothing.
* REST: malformed course ids, unknown templates, oversized and malformed bodies, wrong roles.
* Panel: HTML/JS in template names and descriptions is escaped.
* Events with bad learner data: nothing sent wrongly, the reason logged, the signal returns.
  (tests/unit/test_receivers.py checks the error-log entries of these; here: no Credly call,
  the Python log, the signal's results, and the empty name that is sent with a stand-in.)
"""
import json
import logging
import uuid

import pytest
import responses
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from opaque_keys.edx.keys import CourseKey

from devhost.standin.models import CourseRole
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, IssuedBadge, WebhookEvent
from tests.conftest import CREDLY_API, ORG_ID, TEMPLATE_ID, TOKEN, make_learner, send_certificate

WEBHOOK = "/api/credly/v1/webhook/"
FUZZ = hypothesis_settings(max_examples=150, deadline=None,
                           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# ------------------------------------------------------------------ webhook fuzzing

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5),
    max_leaves=30,
)
ids = st.one_of(st.just(ORG_ID), st.uuids().map(str), st.text(max_size=80), st.integers(), st.none(),
                st.lists(st.text(max_size=5), max_size=2), st.just("../../etc/passwd"), st.just("a" * 5000))
notifications = st.fixed_dictionaries(
    {},
    optional={"id": ids, "organization_id": ids,
              "event_type": st.sampled_from(["badge.created", "badge.state.changed", "badge_template.changed",
                                             "nope", "", "x" * 500]) | st.text(max_size=30),
              "occurred_at": st.text(max_size=30) | st.integers()},
).map(json.dumps)
deeply_nested = st.integers(min_value=100, max_value=20000).map(lambda depth: "[" * depth + "]" * depth)
huge = st.integers(min_value=10_000, max_value=300_000).map(lambda size: json.dumps({"id": "x" * size}))
bodies = st.one_of(
    st.binary(max_size=2000),
    json_values.map(json.dumps),
    notifications,
    deeply_nested,
    huge,
    st.text(max_size=500).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
content_types = st.sampled_from([
    "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz", "application/xml", "", "application/json; charset=latin-1",
])


@pytest.fixture
def client():
    return Client()  # raises any exception of a view: a 500 fails the test loudly


@FUZZ
@given(body=bodies, content_type=content_types)
def test_webhook_never_answers_500(client, organization, body, content_type):
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    # generic() sends the bytes as they are, whatever charset the content type claims.
    response = client.generic("POST", WEBHOOK, data=raw, content_type=content_type)
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.content[:200]
    if response.status_code >= 400:
        assert "developer_message" in response.json()


@FUZZ
@given(headers=st.dictionaries(
    st.sampled_from(["HTTP_CONTENT_LENGTH", "CONTENT_LENGTH", "HTTP_X_FORWARDED_FOR", "HTTP_TRANSFER_ENCODING",
                     "HTTP_CONTENT_ENCODING", "HTTP_HOST"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40), max_size=3))
def test_webhook_odd_headers_never_answer_500(client, organization, headers):
    headers.pop("HTTP_HOST", None)  # an unknown host is Django's own 400, not ours to test
    body = json.dumps({"id": str(uuid.uuid4()), "organization_id": ORG_ID, "event_type": "badge.created"})
    response = client.post(WEBHOOK, data=body, content_type="application/json", **headers)
    assert response.status_code == 200 or 400 <= response.status_code < 500


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_webhook_other_methods_are_refused(client, method):
    assert getattr(client, method)(WEBHOOK).status_code == 405


# ------------------------------------------------------------------ webhook against the fake Credly


@pytest.fixture
def issued_on_fake(use_fake_credly, organization, template, mapping, learner, course_key):
    """A badge that exists on the fake Credly and on our side; returns (fake, badge, event id)."""
    fake = use_fake_credly
    fake.state.add_organization("Open edX Academy", id=ORG_ID, token=TOKEN)
    fake.state.add_template(ORG_ID, "Course Finisher", id=TEMPLATE_ID)
    data = fake.state.issue_badge(ORG_ID, {
        "recipient_email": learner.email, "issued_to_first_name": "Ada", "issued_to_last_name": "Lovelace",
        "badge_template_id": TEMPLATE_ID, "issued_at": "2026-11-25 14:03:00 +0000",
    })
    badge = IssuedBadge.objects.create(
        user=learner, template=template, course_id=course_key, recipient_email=learner.email,
        earned_at="2026-11-25T14:03:00Z", state=IssuedBadge.STATE_PENDING, credly_badge_id=data["id"],
    )
    fake.state.accept_badge(data["id"])  # badge.state.changed, accepted
    event_id = [e for e in fake.state.all_events() if e["event_type"] == "badge.state.changed"][-1]["id"]
    return fake, badge, event_id


def _notify(client, event_id, organization_id=ORG_ID, event_type="badge.state.changed"):
    return client.post(WEBHOOK, data=json.dumps({"id": event_id, "organization_id": organization_id,
                                                 "event_type": event_type, "occurred_at": "2026-11-25"}),
                       content_type="application/json")


def _event_fetches(fake):
    return fake.state.stats()["by_route"].get("GET events_show", 0)


def test_flood_of_one_event_costs_one_fetch(client, issued_on_fake, django_capture_on_commit_callbacks):
    fake, badge, event_id = issued_on_fake
    with django_capture_on_commit_callbacks(execute=True):
        answers = {_notify(client, event_id).status_code for _ in range(60)}
    assert answers == {200}
    assert _event_fetches(fake) == 1
    event = WebhookEvent.objects.get()
    assert event.times_received == 60
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_ACCEPTED  # the one fetch was applied


@pytest.mark.parametrize("forgery", ["unknown event id", "event of another organization", "unknown organization"])
def test_forged_notification_changes_nothing(client, issued_on_fake, django_capture_on_commit_callbacks, forgery):
    fake, badge, event_id = issued_on_fake
    other = fake.state.add_organization("Someone Else")
    fake.state.add_template(other["id"], "Theirs", id="their-template")
    their_badge = fake.state.issue_badge(other["id"], {
        "recipient_email": "x@example.com", "issued_to_first_name": "X", "issued_to_last_name": "Y",
        "badge_template_id": "their-template", "issued_at": "2026-11-25 14:03:00 +0000"})
    fake.state.revoke_badge(other["id"], their_badge["id"], "forged")
    their_event = fake.state.all_events()[-1]["id"]
    notification = {
        "unknown event id": (str(uuid.uuid4()), ORG_ID),
        "event of another organization": (their_event, ORG_ID),  # fetched with our credential: not ours
        "unknown organization": (event_id, str(uuid.uuid4())),
    }[forgery]
    before = list(IssuedBadge.objects.values())
    with django_capture_on_commit_callbacks(execute=True):
        response = _notify(client, *notification, event_type="badge.state.changed")
    assert response.status_code == 200  # the same answer whatever it is: tells an outsider nothing
    assert list(IssuedBadge.objects.values()) == before
    if forgery == "unknown organization":
        assert not WebhookEvent.objects.exists() and _event_fetches(fake) == 0
    else:
        assert WebhookEvent.objects.get().outcome == WebhookEvent.OUTCOME_UNCONFIRMED


# ------------------------------------------------------------------ REST

COURSE_API = "/api/credly/v1/courses/{}/badge-templates/"


@pytest.fixture
def course_staff(db, course_key):
    user = make_learner(username="teacher", email="teacher@example.com")
    CourseRole.objects.create(user=user, course_id=course_key, role="staff")
    return user


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("course_id", [
    "not-a-course", "course-v1:", "course-v1:Org+Course", "a/b", "%00", "..%2F..%2Fetc", "course-v1:O+C+R+X+Y",
    "x" * 3000, "course-v1:Org+Co%20urse+Run", "<script>", "ccx-v1:Org+C+R+ccx@notanumber",
])
def test_malformed_course_ids_are_400(course_staff, template, course_id):
    client = _logged_in(course_staff)
    for method in ("get", "post"):
        response = getattr(client, method)(COURSE_API.format(course_id), data={"template_id": TEMPLATE_ID},
                                           content_type="application/json")
        assert response.status_code in (400, 403, 404), (course_id, method, response.status_code)
        assert "developer_message" in response.json() or "detail" in response.json()


@pytest.mark.parametrize("body", [
    {"template_id": "does-not-exist"},
    {"template_id": ""},
    {"template_id": 12},
    {"template_id": ["a"]},
    {"template_id": TEMPLATE_ID, "trigger": "graduation"},
    {"template_id": TEMPLATE_ID, "is_active": "false"},
    {"template_id": TEMPLATE_ID, "owner": "me"},
    {},
    [],
    "text",
    None,
])
def test_bad_bodies_are_400(course_staff, template, course_key, body):
    response = _logged_in(course_staff).post(COURSE_API.format(course_key), data=json.dumps(body),
                                             content_type="application/json")
    assert response.status_code in (400, 404), (body, response.status_code, response.content[:300])
    assert response.json().get("developer_message")
    assert not CourseBadgeTemplate.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[" * 5000 + b"]" * 5000])
def test_unparseable_bodies_are_400(course_staff, template, course_key, raw):
    response = _logged_in(course_staff).post(COURSE_API.format(course_key), data=raw, content_type="application/json")
    assert response.status_code == (413 if len(raw) > 4096 else 400)  # the course API reads at most 4 KB
    assert not CourseBadgeTemplate.objects.exists()


def test_oversized_body_is_refused(course_staff, template, course_key):
    body = json.dumps({"template_id": TEMPLATE_ID, "padding": "x" * 2_000_000})
    response = _logged_in(course_staff).post(COURSE_API.format(course_key), data=body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert not CourseBadgeTemplate.objects.exists()


def test_archived_template_is_refused(course_staff, template, course_key):
    BadgeTemplate.objects.update(state=BadgeTemplate.STATE_ARCHIVED)
    response = _logged_in(course_staff).post(COURSE_API.format(course_key), data={"template_id": TEMPLATE_ID},
                                             content_type="application/json")
    assert response.status_code == 400
    assert not CourseBadgeTemplate.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "learner", "staff of another course", "inactive staff"])
def test_wrong_roles_are_refused(template, course_key, who, db):
    user = None
    if who != "anonymous":
        user = make_learner(username="someone", email="someone@example.com", is_active=who != "inactive staff")
        if who == "staff of another course":
            CourseRole.objects.create(user=user, course_id=CourseKey.from_string("course-v1:Other+X+1"), role="staff")
        if who == "inactive staff":
            CourseRole.objects.create(user=user, course_id=course_key, role="staff")
    client = _logged_in(user) if user else Client()
    url = COURSE_API.format(course_key)
    for response in (client.get(url), client.post(url, data={"template_id": TEMPLATE_ID},
                                                  content_type="application/json"),
                     client.delete(f"{url}{TEMPLATE_ID}/")):
        assert response.status_code in (401, 403), (who, response.status_code)
    assert not CourseBadgeTemplate.objects.exists()


def test_learner_api_refuses_other_learners_and_unknown_names(learner, db):
    client = _logged_in(learner)
    make_learner(username="grace", email="grace@example.com")
    assert client.get("/api/credly/v1/badges/", {"username": "grace"}).status_code == 403
    assert Client().get("/api/credly/v1/badges/").status_code in (401, 403)
    staff = make_learner(username="root", email="root@example.com", is_staff=True)
    response = _logged_in(staff).get("/api/credly/v1/badges/", {"username": "nobody\x00<>" * 20})
    assert response.status_code in (400, 404)


# ------------------------------------------------------------------ panel escaping


def test_panel_escapes_html_and_js_in_template_names_and_descriptions(learner, template, course_key):
    template.name = "<script>alert('name')</script>"
    template.description = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    template.save()
    IssuedBadge.objects.create(
        user=learner, template=template, course_id=course_key, recipient_email=learner.email,
        earned_at="2026-11-25T14:03:00Z", state=IssuedBadge.STATE_PENDING, credly_badge_id="b-1",
        accept_url="javascript:alert(2)", badge_url="https://credly.test/badges/b-1",
    )
    client = _logged_in(learner)
    page = client.get("/credly/profile/badges/").content.decode()
    assert "<script>alert('name')</script>" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "javascript:alert(2)" not in page
    data = client.get("/api/credly/v1/badges/").json()
    assert data["results"][0]["name"] == template.name  # JSON carries the text; escaping is the renderer's job


# ------------------------------------------------------------------ events with bad learner data

BADGES_URL = f"{CREDLY_API}organizations/{ORG_ID}/badges"


@pytest.mark.parametrize("case", ["missing email", "inactive", "unknown user id"])
def test_bad_learner_data_sends_nothing_logs_why_and_returns(case, mapping, course_key, credly_api, caplog,
                                                             django_capture_on_commit_callbacks, db):
    learner = make_learner(username="badcase", email="" if case == "missing email" else "bad@example.com",
                           is_active=case != "inactive")
    if case == "unknown user id":
        learner.id = 987654
    with django_capture_on_commit_callbacks(execute=True):
        results = send_certificate(learner, course_key, email="" if case == "missing email" else None)
    assert results and not any(isinstance(result, Exception) for _receiver, result in results)
    assert not credly_api.calls
    assert not IssuedBadge.objects.exists()
    reason = {"missing email": "no email address", "inactive": "inactive", "unknown user id": "987654"}[case]
    assert any(reason in record.getMessage() for record in caplog.records), caplog.text


def test_empty_name_is_sent_with_the_username_never_blank(mapping, course_key, credly_api, caplog,
                                                          django_capture_on_commit_callbacks, db):
    learner = make_learner(username="nameless", email="nameless@example.com", first_name="", last_name="")
    credly_api.add(responses.POST, BADGES_URL, status=201, json={"data": {"id": "b-9", "state": "pending"}})
    with caplog.at_level(logging.INFO, logger="openedx_credly"), django_capture_on_commit_callbacks(execute=True):
        results = send_certificate(learner, course_key, name="   ")
    assert not any(isinstance(result, Exception) for _receiver, result in results)
    payload = json.loads(credly_api.calls[0].request.body)
    assert payload["issued_to_first_name"] == payload["issued_to_last_name"] == "nameless"
    assert IssuedBadge.objects.get().state == IssuedBadge.STATE_PENDING
    assert "no full name" in caplog.text
