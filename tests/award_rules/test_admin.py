"""The admin pages of award rules: a course badge's rules, and milestones."""
import pytest
from django.urls import reverse
from django.utils import timezone

from devhost.standin.models import Enrollment
from openedx_credly import tasks
from openedx_credly.issuing import scheduling
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
    assert "Explorer: the backfill runs in the background" in response.content.decode()
    assert not IssuedBadge.objects.exists()


def test_milestone_admin_backfill_runs_in_a_task(admin_client, template, learner, monkeypatch):
    """The request only enqueues; the (eager) task reads the platform's records and awards the milestone."""
    milestone = Milestone.objects.create(name="Explorer", template=template, kind="enrolled", required_count=1)
    Enrollment.objects.create(user=learner, course_id="course-v1:Org+Course+2026", is_active=True,
                              created=timezone.now())
    sent = []
    monkeypatch.setattr(scheduling, "send", lambda name, *args: sent.append((name, args)) or True)
    response = admin_client.post(reverse("admin:openedx_credly_milestone_changelist"), {
        "action": "backfill_action", "_selected_action": [milestone.pk]}, follow=True)
    assert response.status_code == 200
    assert sent == [(scheduling.BACKFILL_MILESTONE, (milestone.pk,))]
    assert not IssuedBadge.objects.exists()  # nothing awarded inside the request
    assert tasks.backfill_milestone.apply(args=[milestone.pk]).get() == {"qualified": 1, "queued": 1}
    assert IssuedBadge.objects.filter(user=learner, template=template).count() == 1


def test_milestone_admin_backfill_with_the_broker_down_says_so(admin_client, template, monkeypatch):
    milestone = Milestone.objects.create(name="Explorer", template=template, kind="enrolled", required_count=1)
    monkeypatch.setattr(scheduling, "send", lambda name, *args: False)
    response = admin_client.post(reverse("admin:openedx_credly_milestone_changelist"), {
        "action": "backfill_action", "_selected_action": [milestone.pk]}, follow=True)
    assert response.status_code == 200
    assert "the task queue could not be reached" in response.content.decode()


def test_milestone_needs_at_least_one_course(admin_client, template):
    response = admin_client.post(reverse("admin:openedx_credly_milestone_add"), {
        "name": "Nothing", "template": template.pk, "kind": "completed", "required_count": "0", "is_active": "on",
    })
    assert response.status_code == 200 and not Milestone.objects.exists()
