"""
``GET /api/credly/v1/users/<username>/badges/``: a profile's badges, as the profile's privacy allows.

Every combination of viewer (owner, another learner, global staff, anonymous, inactive)
and privacy (``all_users``, ``private``, ``custom``, unset with either site default).
"""
import sys
import types
from datetime import datetime, timezone

import pytest
from opaque_keys.edx.keys import CourseKey

from devhost.standin.models import Preference
from openedx_credly.api.v1.user_badges import audience
from openedx_credly.models import BadgeTemplate, IssuedBadge, LearningPath, LearningPathCourse, LearningPathProgress
from openedx_credly.platform import OpenEdxPlatform, StandalonePlatform, get_platform
from tests.conftest import make_learner
from tests.learner.conftest import jwt_header, make_badge

pytestmark = pytest.mark.django_db


def url(username):
    return f"/api/credly/v1/users/{username}/badges/"


def set_privacy(user, value):
    Preference.objects.update_or_create(user=user, key="account_privacy", defaults={"value": value})


@pytest.fixture
def owner_badges(learner, template, organization):
    """ada holds one pending and one accepted badge (plus a revoked one nobody sees)."""
    other = BadgeTemplate.objects.create(organization=organization, template_id="t-accepted", name="Data Wrangler")
    third = BadgeTemplate.objects.create(organization=organization, template_id="t-revoked", name="Withdrawn")
    pending = make_badge(learner, template)
    accepted = make_badge(learner, other, IssuedBadge.STATE_ACCEPTED, accept_url="https://credly.test/stale")
    make_badge(learner, third, IssuedBadge.STATE_REVOKED)
    return {"pending": pending, "accepted": accepted}


def get(client, viewer, username="ada", **params):
    if viewer is not None:
        client.force_login(viewer)
    return client.get(url(username), params)


def ids(response):
    return [item["id"] for item in response.json()["results"]]


# --- the owner ----------------------------------------------------------------------------------

@pytest.mark.parametrize("privacy", ["all_users", "private", "custom", None])
def test_owner_sees_pending_and_accepted_with_accept_link_whatever_the_privacy(client, learner, owner_badges,
                                                                               privacy):
    if privacy:
        set_privacy(learner, privacy)
    response = get(client, learner)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "ada"
    assert body["count"] == 2
    by_id = {item["id"]: item for item in body["results"]}
    assert set(by_id) == {owner_badges["pending"].credly_badge_id, owner_badges["accepted"].credly_badge_id}
    assert by_id[owner_badges["pending"].credly_badge_id]["accept_url"] == owner_badges["pending"].accept_url
    assert by_id[owner_badges["pending"].credly_badge_id]["state"] == "pending"
    assert by_id[owner_badges["accepted"].credly_badge_id]["accept_url"] == ""


def test_owner_gets_learning_path_progress(client, learner, organization):
    path_template = BadgeTemplate.objects.create(organization=organization, template_id="t-path", name="Specialist")
    path = LearningPath.objects.create(name="Data path", template=path_template, rule=LearningPath.RULE_ALL)
    keys = [CourseKey.from_string(f"course-v1:Org+P{n}+2026") for n in (1, 2, 3)]
    for key in keys:
        LearningPathCourse.objects.create(path=path, course_id=key)
    LearningPathProgress.objects.create(user=learner, path=path, course_id=keys[0],
                                        achieved_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    body = get(client, learner).json()
    assert body["learning_paths_in_progress"] == [
        {"name": "Data path", "template_name": "Specialist", "done": 1, "required": 3},
    ]

    visitor = make_learner(username="grace", email="grace@example.com")
    client.logout()
    assert get(client, visitor).json()["learning_paths_in_progress"] == []


def test_owner_by_jwt(client, learner, owner_badges):
    response = client.get(url("ada"), **jwt_header(learner))
    assert response.status_code == 200
    assert response.json()["count"] == 2


# --- another learner ----------------------------------------------------------------------------

@pytest.mark.parametrize("privacy", ["all_users", None])
def test_visitor_sees_only_accepted_badges_of_a_public_profile(client, learner, other_learner, owner_badges, privacy,
                                                               *, settings):
    settings.ACCOUNT_VISIBILITY_CONFIGURATION = {"default_visibility": "all_users"}
    if privacy:
        set_privacy(learner, privacy)
    response = get(client, other_learner)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert ids(response) == [owner_badges["accepted"].credly_badge_id]
    assert body["results"][0]["accept_url"] == ""
    assert body["results"][0]["badge_url"] == owner_badges["accepted"].badge_url
    assert "pending" not in response.content.decode()


@pytest.mark.parametrize("privacy,badges_preference", [
    ("private", None), ("private", "all_users"), ("custom", "private"), ("custom", "something-new"),
    ("something-new", None), ("something-new", "all_users"),
])
def test_visitor_sees_nothing_of_a_profile_that_is_not_public(client, learner, other_learner, owner_badges, *,
                                                              privacy, badges_preference):
    set_privacy(learner, privacy)
    if badges_preference:
        Preference.objects.create(user=learner, key="visibility.credly_badges", value=badges_preference)
    response = get(client, other_learner)
    assert response.status_code == 200
    assert response.json() == {"username": "ada", "count": 0, "next": None, "previous": None, "results": [],
                               "learning_paths_in_progress": []}


@pytest.mark.parametrize("badges_preference", [None, "all_users"])
def test_custom_privacy_shows_accepted_badges_unless_the_owner_hides_them(client, learner, other_learner,
                                                                          owner_badges, badges_preference):
    """What frontend-app-profile sets on the owner's first visit: ``custom``, each field by its own preference."""
    set_privacy(learner, "custom")
    for key in ("visibility.name", "visibility.course_certificates"):
        Preference.objects.create(user=learner, key=key, value="all_users")
    if badges_preference:
        Preference.objects.create(user=learner, key="visibility.credly_badges", value=badges_preference)
    assert ids(get(client, other_learner)) == [owner_badges["accepted"].credly_badge_id]
    assert get(client, other_learner).json()["results"][0]["accept_url"] == ""

    Preference.objects.update_or_create(user=learner, key="visibility.credly_badges", defaults={"value": "private"})
    assert get(client, other_learner).json()["count"] == 0


@pytest.mark.parametrize("privacy,badges_preference,shown", [
    ("all_users", None, "all_users"), ("all_users", "private", "all_users"), ("private", "all_users", "private"),
    ("custom", None, "all_users"), ("custom", "all_users", "all_users"), ("custom", "private", "private"),
])
def test_the_owner_is_told_who_sees_the_badges(client, learner, other_learner, owner_badges, *, privacy,
                                               badges_preference, shown):
    set_privacy(learner, privacy)
    if badges_preference:
        Preference.objects.create(user=learner, key="visibility.credly_badges", value=badges_preference)
    assert get(client, learner).json()["visibility"] == {"account_privacy": privacy, "badges": shown}
    client.logout()
    assert "visibility" not in get(client, other_learner).json()
    assert get(client, other_learner).json()["count"] == (1 if shown == "all_users" else 0)


def test_site_default_private_hides_profiles_without_a_preference(client, learner, other_learner, owner_badges,
                                                                  settings):
    settings.ACCOUNT_VISIBILITY_CONFIGURATION = {"default_visibility": "private"}
    assert get(client, other_learner).json()["count"] == 0
    set_privacy(learner, "all_users")
    assert ids(get(client, other_learner)) == [owner_badges["accepted"].credly_badge_id]


def test_no_default_visibility_means_private(client, learner, other_learner, owner_badges, settings):
    del settings.ACCOUNT_VISIBILITY_CONFIGURATION
    assert get(client, other_learner).json()["count"] == 0


def test_unknown_user_and_private_profile_answer_alike(client, learner, other_learner, owner_badges):
    set_privacy(learner, "private")
    make_learner(username="retired", email="retired@example.com", is_active=False)
    client.force_login(other_learner)
    private = client.get(url("ada"))
    private_as = client.get(url("nobody"))
    inactive = client.get(url("retired"))
    assert private.status_code == private_as.status_code == inactive.status_code == 200
    assert private.content.replace(b'"ada"', b'"X"') == private_as.content.replace(b'"nobody"', b'"X"')
    assert inactive.content.replace(b'"retired"', b'"X"') == private_as.content.replace(b'"nobody"', b'"X"')
    assert private["Cache-Control"] == private_as["Cache-Control"]


def test_an_inactive_visitor_sees_nothing(client, learner, owner_badges):
    set_privacy(learner, "all_users")
    visitor = make_learner(username="grace", email="grace@example.com", is_active=False)
    # (Django's session backend refuses inactive users; JWT or an allow-inactive backend may not.)
    assert audience(visitor, "ada") == (None, None)
    assert audience(visitor, "grace") == (visitor, "owner")
    assert get(client, visitor).status_code == 401


def test_visitor_by_jwt_sees_public_badges(client, learner, other_learner, owner_badges):
    set_privacy(learner, "all_users")
    response = client.get(url("ada"), **jwt_header(other_learner))
    assert ids(response) == [owner_badges["accepted"].credly_badge_id]


def test_the_visitor_never_gets_their_own_badges(client, learner, other_learner, template):
    make_badge(other_learner, template, IssuedBadge.STATE_ACCEPTED)
    set_privacy(learner, "all_users")
    assert get(client, other_learner).json()["count"] == 0


# --- staff and anonymous ------------------------------------------------------------------------

@pytest.mark.parametrize("privacy", ["all_users", "private"])
def test_staff_see_pending_and_accepted_without_accept_links(client, staff, learner, owner_badges, privacy):
    set_privacy(learner, privacy)
    response = get(client, staff)
    body = response.json()
    assert body["count"] == 2
    assert {item["state"] for item in body["results"]} == {"pending", "accepted"}
    assert all(item["accept_url"] == "" for item in body["results"])
    assert body["learning_paths_in_progress"] == []


def test_staff_asking_for_an_unknown_user_get_404(client, staff):
    response = get(client, staff, username="nobody")
    assert response.status_code == 404
    assert "developer_message" in response.json()


def test_anonymous_gets_401(client, learner, owner_badges):
    set_privacy(learner, "all_users")
    response = client.get(url("ada"))
    assert response.status_code == 401
    assert "developer_message" in response.json()


# --- paging and caching -------------------------------------------------------------------------

def test_pages_count_only_what_the_viewer_may_see(client, learner, other_learner, organization):
    set_privacy(learner, "all_users")
    for number in range(5):
        state = IssuedBadge.STATE_ACCEPTED if number % 2 == 0 else IssuedBadge.STATE_PENDING
        template = BadgeTemplate.objects.create(organization=organization, template_id=f"t-{number}", name=f"B{number}")
        make_badge(learner, template, state)
    first = get(client, other_learner, page_size=2).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"].endswith("page=2&page_size=2") or "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None and second["previous"]
    assert {item["state"] for item in first["results"] + second["results"]} == {"accepted"}

    owner = get(client, learner, page_size=2).json()
    assert owner["count"] == 5


@pytest.mark.parametrize("params", [{"page": "x"}, {"page": 0}, {"page_size": 101}, {"page_size": -1}])
def test_bad_paging_is_400(client, learner, params):
    assert get(client, learner, **params).status_code == 400


def test_a_page_past_the_end_is_404(client, learner, owner_badges):
    assert get(client, learner, page=2).status_code == 404


def test_answers_are_not_kept_by_shared_caches(client, learner, owner_badges):
    response = get(client, learner)
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_owner_view_schedules_the_first_view_import_visitor_view_does_not(client, learner, other_learner,
                                                                          monkeypatch):
    scheduled = []
    monkeypatch.setattr("openedx_credly.learners.panel.schedule_first_view_import", scheduled.append)
    set_privacy(learner, "all_users")
    get(client, other_learner)
    assert not scheduled
    client.logout()
    get(client, learner)
    assert scheduled == [learner]


# --- the adapter --------------------------------------------------------------------------------

def test_standalone_adapter_reads_the_site_default(settings, learner):
    settings.ACCOUNT_VISIBILITY_CONFIGURATION = {"default_visibility": "all_users"}
    assert StandalonePlatform().get_account_privacy(learner) == "all_users"
    settings.ACCOUNT_VISIBILITY_CONFIGURATION = {}
    assert StandalonePlatform().get_account_privacy(learner) == "private"


def test_devhost_adapter_reads_the_preference(settings, learner):
    settings.ACCOUNT_VISIBILITY_CONFIGURATION = {"default_visibility": "all_users"}
    assert get_platform().get_account_privacy(learner) == "all_users"
    set_privacy(learner, "private")
    assert get_platform().get_account_privacy(learner) == "private"


def test_open_edx_adapter_asks_the_preferences_api_as_the_owner(monkeypatch, settings, learner):
    """Inside the LMS: ``get_user_preference(owner, "account_privacy")``, parental consent first."""
    calls = []
    preferences = {"ada": "all_users"}
    consent = {"needed": False}

    class Profile:
        def requires_parental_consent(self):
            return consent["needed"]

    class Manager:
        def filter(self, user):
            calls.append(("profile", user.username))
            return types.SimpleNamespace(first=Profile)

    def get_user_preference(requesting_user, key, username=None):
        calls.append(("preference", requesting_user.username, key, username))
        return preferences.get(requesting_user.username)

    student = types.ModuleType("common.djangoapps.student.models")
    student.UserProfile = types.SimpleNamespace(objects=Manager())
    prefs = types.ModuleType("openedx.core.djangoapps.user_api.preferences.api")
    prefs.get_user_preference = get_user_preference
    monkeypatch.setitem(sys.modules, "common.djangoapps.student.models", student)
    monkeypatch.setitem(sys.modules, "openedx.core.djangoapps.user_api.preferences.api", prefs)
    settings.ACCOUNT_VISIBILITY_CONFIGURATION = {"default_visibility": "private"}

    adapter = OpenEdxPlatform()
    assert adapter.get_account_privacy(learner) == "all_users"
    assert ("preference", "ada", "account_privacy", None) in calls
    preferences.clear()
    assert adapter.get_account_privacy(learner) == "private"  # the site's default
    settings.ACCOUNT_VISIBILITY_CONFIGURATION = {"default_visibility": "all_users"}
    assert adapter.get_account_privacy(learner) == "all_users"
    consent["needed"] = True
    preferences["ada"] = "all_users"
    assert adapter.get_account_privacy(learner) == "private"


def test_open_edx_adapter_reads_our_preference_through_the_preferences_api(monkeypatch, learner):
    """``visibility.credly_badges`` is read like ``account_privacy``: the platform's ``get_user_preference``."""
    calls = []

    def get_user_preference(requesting_user, key, username=None):
        calls.append((requesting_user.username, key, username))
        return {"visibility.credly_badges": "private"}.get(key)

    prefs = types.ModuleType("openedx.core.djangoapps.user_api.preferences.api")
    prefs.get_user_preference = get_user_preference
    monkeypatch.setitem(sys.modules, "openedx.core.djangoapps.user_api.preferences.api", prefs)

    adapter = OpenEdxPlatform()
    assert adapter.get_user_preference(learner, "visibility.credly_badges") == "private"
    assert adapter.get_user_preference(learner, "visibility.other") is None
    assert calls == [("ada", "visibility.credly_badges", None), ("ada", "visibility.other", None)]
    assert StandalonePlatform().get_user_preference(learner, "visibility.credly_badges") is None
