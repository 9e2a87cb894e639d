"""The admin's course mapping form: template images beside their names, the same rules as the API."""
import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate
from openedx_credly.operators.forms import CourseBadgeTemplateForm
from tests.conftest import COURSE


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("operator", "op@example.com", "pw"))
    return client


def test_add_form_shows_each_template_with_its_image(admin_client, template, archived_template):
    page = admin_client.get(reverse("admin:openedx_credly_coursebadgetemplate_add")).content.decode()

    assert f'data-image-url="{template.image_url}"' in page
    assert "Course Finisher — Open edX Academy" in page
    assert 'id="id_template_preview"' in page
    assert "openedx_credly/admin/template_preview.js" in page
    assert "Retired badge" not in page  # archived templates cannot be chosen


def test_change_form_previews_the_current_template(admin_client, mapping):
    page = admin_client.get(
        reverse("admin:openedx_credly_coursebadgetemplate_change", args=[mapping.pk])).content.decode()

    assert f'class="credly-template-preview" src="{mapping.template.image_url}" alt="Course Finisher"' in page


def test_adding_in_the_admin_records_who_and_the_history(admin_client, template):
    response = admin_client.post(reverse("admin:openedx_credly_coursebadgetemplate_add"), {
        "course_id": COURSE, "template": template.pk, "trigger": "passing", "is_active": "on",
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    mapping = CourseBadgeTemplate.objects.get()
    assert mapping.created_by.username == "operator" and mapping.source == "admin"
    assert LogEntry.objects.get(object_id=str(mapping.pk)).user.username == "operator"


def test_a_mapping_whose_template_was_archived_says_why_it_cannot_be_saved(mapping):
    BadgeTemplate.objects.filter(pk=mapping.template_id).update(state=BadgeTemplate.STATE_ARCHIVED)
    mapping.refresh_from_db()
    form = CourseBadgeTemplateForm(instance=mapping, data={
        "course_id": COURSE, "template": mapping.template_id, "trigger": "certificate", "is_active": "on",
    })

    assert not form.is_valid()
    assert "archived" in str(form.errors)
