"""Fixtures of the learning-path tests: stand-in courses, paths, and Credly answering POST badges."""
import itertools
import json
import uuid

import pytest
import responses
from django.core.cache import cache
from opaque_keys.edx.keys import CourseKey

from devhost.standin import models as standin
from openedx_credly.models import BadgeTemplate, LearningPath, LearningPathCourse
from tests.conftest import CREDLY_API, ORG_ID

COURSE_A = "course-v1:OpenCraft+PATH1+2026"
COURSE_B = "course-v1:OpenCraft+PATH2+2026"
COURSE_C = "course-v1:OpenCraft+PATH3+2026"
BADGES_URL = f"{CREDLY_API}organizations/{ORG_ID}/badges"


@pytest.fixture(autouse=True)
def fresh_index():
    """A test's rolled-back paths must not linger in the cached course index."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def courses(db):
    """Three courses the stand-in platform knows."""
    keys = [CourseKey.from_string(course_id) for course_id in (COURSE_A, COURSE_B, COURSE_C)]
    for index, key in enumerate(keys, start=1):
        standin.Course.objects.create(course_id=key, display_name=f"Path course {index}")
    return keys


@pytest.fixture
def path_template(organization):
    return BadgeTemplate.objects.create(
        organization=organization, template_id="99999999-8888-7777-6666-555555555555", name="Specialist",
    )


def make_path(template, course_keys, *, rule=LearningPath.RULE_ALL, required_count=None, trigger="certificate",
              name="Credly specialization"):
    """A path over ``course_keys`` (each with ``trigger``, or pass (key, trigger) pairs)."""
    path = LearningPath.objects.create(name=name, template=template, rule=rule, required_count=required_count)
    for entry in course_keys:
        key, course_trigger = entry if isinstance(entry, tuple) else (entry, trigger)
        LearningPathCourse.objects.create(path=path, course_id=key, trigger=course_trigger)
    return path


@pytest.fixture
def credly_badges(credly_api):
    """Credly accepts every badge; ``.calls`` lists the POSTed bodies."""
    counter = itertools.count(1)
    posted = []

    def issue(request):
        body = json.loads(request.body)
        posted.append(body)
        number = next(counter)
        data = {
            "id": str(uuid.UUID(int=number)), "state": "pending", "issued_at": body["issued_at"],
            "accept_badge_url": f"https://credly.test/badges/{number}/accept",
            "badge_url": f"https://credly.test/badges/{number}", "image_url": "https://credly.test/i.png",
        }
        return 201, {"Content-Type": "application/json"}, json.dumps({"data": data, "metadata": {}})

    credly_api.add_callback(responses.POST, BADGES_URL, callback=issue)
    credly_api.posted = posted
    return credly_api
