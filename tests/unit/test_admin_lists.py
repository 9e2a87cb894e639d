"""The admin lists read well on a 1280 px screen: short columns, plain titles, the rest on detail pages."""
from datetime import datetime, timezone

from django.urls import reverse

from openedx_credly.models import IssuedBadge, LearningPath


def _page(admin_client, name, *args):
    response = admin_client.get(reverse(f"admin:openedx_credly_{name}", args=args))
    assert response.status_code == 200
    return response.content.decode()


def _badge(learner, template, **fields):
    return IssuedBadge.objects.create(user=learner, template=template, state="pending",
                                      earned_at=datetime(2026, 3, 2, tzinfo=timezone.utc), **fields)


def test_organizations_are_filtered_by_instance_with_a_plain_title(admin_client, organization):
    page = _page(admin_client, "credlyorganization_changelist")
    assert "By use the Credly sandbox" not in page and "By Credly" in page
    assert '<td class="field-organization_id">' not in page  # on the detail page only
    url = reverse("admin:openedx_credly_credlyorganization_changelist")
    assert not organization.use_sandbox
    assert "0 Credly organizations" in admin_client.get(url, {"instance": "sandbox"}).content.decode()
    assert "1 Credly organization" in admin_client.get(url, {"instance": "production"}).content.decode()


def test_the_empty_error_log_counts_errors(admin_client, db):
    assert "0 Credly errors" in _page(admin_client, "credlyerrorlog_changelist")


def test_an_issued_badge_is_titled_with_its_learner(admin_client, learner, template, course_key):
    badge = _badge(learner, template, course_id=course_key)
    assert str(badge) == f"{template.name} → ada (pending)"
    assert f"{template.name} → ada (pending)" in _page(admin_client, "issuedbadge_change", badge.pk)


def test_a_learning_path_badge_shows_its_path(admin_client, learner, template, course_key):
    path = LearningPath.objects.create(name="Python for Data", template=template)
    _badge(learner, template, learning_path=path)
    _badge(learner, template, course_id=course_key)
    page = _page(admin_client, "issuedbadge_changelist")
    assert "Path: Python for Data" in page
    assert "course-v1:<wbr>" in page  # a course key may wrap in its column


def test_badge_templates_list_the_organization_by_name(admin_client, organization, template):
    page = _page(admin_client, "badgetemplate_changelist")
    assert f'<td class="field-organization_name">{organization.name}</td>' in page
    assert organization.organization_id not in page


def test_the_course_field_shows_its_format(admin_client, db):
    assert "course-v1:Org+Course+Run" in _page(admin_client, "coursebadgetemplate_add")
    assert "course-v1:Org+Course+Run" in _page(admin_client, "learningpath_add")
