"""The admin pages of award rules: a course badge's rules, and milestones."""
import pytest
from django.urls import reverse

from openedx_credly.models import CourseBadgeTemplate, IssuedBadge, Milestone
from tests.conftest import COURSE

pytestmark = pytest.mark.django_db


def test_course_badge_admin_shows_and_saves_the_rules(admin_client, template):
    url = reverse("admin:openedx_credly_coursebadgetemplate_add")
    page = admin_client.get(url).content.decode()
    for name in ("min_grade", "max_grade", "modes", "expires_in_months"):
        assert f'name="{name}"' in page
    response = admin_client.post(url, {
        "course_id": COURSE, "template": template.pk, "trigger": "grade", "is_active": "on", "min_grade": "90",
        "max_grade": "", "modes": "", "expires_in_months": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    mapping = CourseBadgeTemplate.objects.get()
    assert (mapping.trigger, str(mapping.min_grade), mapping.modes) == ("grade", "90.00", [])
    listing = admin_client.get(reverse("admin:openedx_credly_coursebadgetemplate_changelist")).content.decode()
    assert "grade of at least 90 %" in listing


def test_course_badge_admin_refuses_modes_on_passing(admin_client, template):
    response = admin_client.post(reverse("admin:openedx_credly_coursebadgetemplate_add"), {
        "course_id": COURSE, "template": template.pk, "trigger": "passing", "is_active": "on", "modes": "verified",
    })
    assert response.status_code == 200
    assert "modes apply to the trigger" in response.content.decode()
    assert not CourseBadgeTemplate.objects.exists()


def test_milestone_admin_adds_and_backfills(admin_client, template, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:openedx_credly_milestone_add"), {
            "name": "Explorer", "template": template.pk, "kind": "enrolled", "required_count": "1",
            "organization": "", "course_key_prefixes": "", "is_active": "on",
        })
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert admin_client.get(reverse("admin:openedx_credly_milestone_changelist")).status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(reverse("admin:openedx_credly_milestone_changelist"), {
            "action": "backfill_action", "_selected_action": [milestone.pk]}, follow=True)
    assert "Explorer: 0 learner(s) reached it; 0 badge(s) queued." in response.content.decode()
    assert not IssuedBadge.objects.exists()


def test_milestone_needs_at_least_one_course(admin_client, template):
    response = admin_client.post(reverse("admin:openedx_credly_milestone_add"), {
        "name": "Nothing", "template": template.pk, "kind": "completed", "required_count": "0", "is_active": "on",
    })
    assert response.status_code == 200 and not Milestone.objects.exists()
