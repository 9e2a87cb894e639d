"""Helpers for the learner's panel: path names of badges, and progress toward paths."""
from datetime import datetime, timezone

import pytest
from django.utils import timezone as dj_timezone

from openedx_credly.awarding import learning_paths
from openedx_credly.awarding.recording import Achievement, record_achievement
from openedx_credly.models import IssuedBadge, LearningPath
from tests.learning_paths.conftest import make_path

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, tzinfo=timezone.utc)


def achieve(user, course_key):
    record_achievement(Achievement(user_id=user.pk, course_key=course_key, trigger="certificate", earned_at=T0,
                                   email=user.email))


def test_panel_shows_path_badge_with_path_name(client, learner, courses, path_template, template, *, course_key,
                                               django_assert_num_queries):
    path = make_path(path_template, courses[:1], name="Data specialization")
    IssuedBadge.objects.create(user=learner, template=path_template, learning_path=path, earned_at=T0,
                               state="pending", credly_badge_id="path-badge",
                               accept_url="https://credly.test/accept/path-badge")
    IssuedBadge.objects.create(user=learner, template=template, course_id=course_key, earned_at=dj_timezone.now(),
                               state="accepted", credly_badge_id="course-badge",
                               badge_url="https://credly.test/badges/course-badge")
    client.force_login(learner)
    items = {item["id"]: item for item in client.get("/api/credly/v1/badges/").json()["results"]}
    assert items["path-badge"]["learning_path_name"] == "Data specialization"
    assert items["course-badge"]["learning_path_name"] == ""
    page = client.get("/credly/profile/badges/").content.decode()
    assert "Data specialization" in page


def test_panel_shows_progress_toward_paths(client, learner, courses, path_template, template, *, course_key):
    make_path(path_template, courses, rule=LearningPath.RULE_ALL, name="Cloud track")
    achieve(learner, courses[0])
    IssuedBadge.objects.create(user=learner, template=template, course_id=course_key, earned_at=dj_timezone.now(),
                               state="accepted", credly_badge_id="course-badge",
                               badge_url="https://credly.test/badges/course-badge")
    client.force_login(learner)
    page = client.get("/credly/profile/badges/").content.decode()
    assert "Cloud track" in page
    assert "1 of 3 courses" in page


def test_progress_for_user(learner, courses, path_template, template):
    started = make_path(path_template, courses, rule=LearningPath.RULE_AT_LEAST, required_count=2, name="Started")
    make_path(template, courses[1:], name="Not started")
    achieve(learner, courses[0])
    [entry] = learning_paths.progress_for_user(learner)
    assert entry["path_id"] == started.pk
    assert entry["name"] == "Started"
    assert (entry["done"], entry["required"]) == (1, 2)
    assert entry["courses"][0] == {"course_id": str(courses[0]), "done": True}
    assert entry["template_name"] == path_template.name

    achieve(learner, courses[2])  # earns "Started" (2 of 3) and starts "Not started"
    assert [(item["name"], item["done"], item["required"]) for item in learning_paths.progress_for_user(learner)] \
        == [("Not started", 1, 2)]
