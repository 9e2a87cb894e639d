"""The operator's admin: connecting with a live check, secrets write-only and encrypted, removal, sync, retry."""
import base64

import pytest
import responses
from django.db import connection
from django.urls import reverse

from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyErrorLog, CredlyOrganization, IssuedBadge
from tests.conftest import CREDLY_API, CREDLY_OAUTH, ORG_ID, TOKEN, make_badge

ORG_URL = f"{CREDLY_API}organizations/{ORG_ID}"
TEMPLATES_URL = f"{ORG_URL}/badge_templates"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("operator", "op@example.com", "pw")
    client.force_login(admin)
    return client


def _template(index, state="active"):
    return {"id": f"tpl-{index}", "name": f"Template {index}", "description": "d", "state": state,
            "image_url": f"https://credly.test/{index}.png", "allow_duplicate_badges": False}


def _templates_page(items, page, total_pages):
    next_url = f"{TEMPLATES_URL}?page={page + 1}" if page < total_pages else None
    return {"data": items, "metadata": {"current_page": page, "total_pages": total_pages, "next_page_url": next_url,
                                        "count": len(items), "total_count": 0, "per": 50}}


def _connect(admin_client, **fields):
    data = {"name": "Academy", "organization_id": ORG_ID, "api_token": TOKEN, "client_id": "", "client_secret": "",
            "is_active": "on", **fields}
    return admin_client.post(reverse("admin:openedx_credly_credlyorganization_add"), data)


def _raw_column(pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM openedx_credly_credlyorganization WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_connect_checks_credentials_then_saves_encrypted(admin_client, credly_api, django_capture_on_commit_callbacks):
    credly_api.add(responses.GET, ORG_URL, json={"data": {"id": ORG_ID, "name": "Academy"}})
    credly_api.add(responses.GET, TEMPLATES_URL, json=_templates_page([_template(1)], 1, 1))

    with django_capture_on_commit_callbacks(execute=True):
        response = _connect(admin_client)

    assert response.status_code == 302
    organization = CredlyOrganization.objects.get()
    assert organization.api_token == TOKEN
    raw = _raw_column(organization.pk, "api_token")
    assert TOKEN not in raw and raw.startswith("fernet:")
    check = credly_api.calls[0].request
    assert check.headers["Authorization"] == "Basic " + base64.b64encode(f"{TOKEN}:".encode()).decode()
    assert BadgeTemplate.objects.get().template_id == "tpl-1"  # synced right after connecting


@pytest.mark.parametrize("status", [401, 403, 404])
def test_refused_credentials_save_nothing(admin_client, credly_api, status):
    credly_api.add(responses.GET, ORG_URL, json={"data": {"message": "no"}}, status=status)
    response = _connect(admin_client)
    assert response.status_code == 200
    assert "Could not connect to Credly: check the organization ID" in response.content.decode()
    assert TOKEN not in response.content.decode()
    assert not CredlyOrganization.objects.exists()


def test_unreachable_credly_saves_nothing(admin_client, credly_api):
    credly_api.add(responses.GET, ORG_URL, json={"data": {"message": "down"}}, status=503)
    response = _connect(admin_client)
    assert "could not be reached" in response.content.decode()
    assert not CredlyOrganization.objects.exists()


def test_malformed_organization_id_is_refused_without_calling_credly(admin_client, credly_api):
    response = _connect(admin_client, organization_id="not-a-uuid")
    assert "This is not a Credly organization ID" in response.content.decode()
    assert not credly_api.calls


def test_no_credential_is_refused(admin_client, credly_api):
    response = _connect(admin_client, api_token="")
    assert "Enter an authorization token, or an OAuth client ID and secret." in response.content.decode()


def test_oauth_client_connects_with_bearer(admin_client, credly_api):
    credly_api.add(responses.POST, CREDLY_OAUTH, json={"access_token": "acc-xyz", "token_type": "Bearer",
                                                       "expires_in": 7200})
    credly_api.add(responses.GET, ORG_URL, json={"data": {"id": ORG_ID}})
    credly_api.add(responses.GET, TEMPLATES_URL, json=_templates_page([], 1, 1))
    response = _connect(admin_client, api_token="", client_id="client-1", client_secret="shh-secret")
    assert response.status_code == 302
    assert credly_api.calls[1].request.headers["Authorization"] == "Bearer acc-xyz"
    organization = CredlyOrganization.objects.get()
    assert organization.uses_oauth
    assert "shh-secret" not in _raw_column(organization.pk, "client_secret")


def test_change_page_never_shows_secrets_and_blank_keeps_them(admin_client, organization, credly_api):
    url = reverse("admin:openedx_credly_credlyorganization_change", args=[organization.pk])
    page = admin_client.get(url).content.decode()
    assert TOKEN not in page
    assert "A value is stored (not shown)" in page

    credly_api.add(responses.GET, ORG_URL, json={"data": {"id": ORG_ID}})
    credly_api.add(responses.GET, TEMPLATES_URL, json=_templates_page([], 1, 1))
    response = admin_client.post(url, {"name": "Renamed", "organization_id": ORG_ID, "api_token": "",
                                       "client_id": "", "client_secret": "", "is_active": "on"})
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Renamed"
    assert organization.api_token == TOKEN


def test_reconnect_clears_connection_lost(admin_client, organization, credly_api):
    from django.utils import timezone  # pylint: disable=import-outside-toplevel

    CredlyOrganization.objects.update(connection_lost_at=timezone.now())
    credly_api.add(responses.GET, ORG_URL, json={"data": {"id": ORG_ID}})
    url = reverse("admin:openedx_credly_credlyorganization_change", args=[organization.pk])
    admin_client.post(url, {"name": "A", "organization_id": ORG_ID, "api_token": "new-token", "is_active": "on"})
    organization.refresh_from_db()
    assert organization.connection_lost_at is None
    assert organization.api_token == "new-token"


def test_changelist_shows_status(admin_client, organization):
    page = admin_client.get(reverse("admin:openedx_credly_credlyorganization_changelist")).content.decode()
    assert "Connected" in page and "Remove integration" in page
    assert TOKEN not in page


def test_sync_action_follows_every_page(admin_client, organization, credly_api):
    for number in (1, 2, 3):
        credly_api.add(responses.GET, TEMPLATES_URL,
                       json=_templates_page([_template(number * 10 + i) for i in range(2)], number, 3),
                       match=[responses.matchers.query_param_matcher({"page": str(number)}, strict_match=False)]
                       if number > 1 else [])
    BadgeTemplate.objects.create(organization=organization, template_id="gone", name="Gone")
    response = admin_client.post(reverse("admin:openedx_credly_credlyorganization_changelist"), {
        "action": "sync_templates_action", "_selected_action": [organization.pk]}, follow=True)
    assert response.status_code == 200
    assert set(BadgeTemplate.objects.filter(state="active").values_list("template_id", flat=True)) == {
        "tpl-10", "tpl-11", "tpl-20", "tpl-21", "tpl-30", "tpl-31"}
    assert BadgeTemplate.objects.get(template_id="gone").state == BadgeTemplate.STATE_ARCHIVED


def test_remove_integration_confirms_then_wipes(admin_client, mapping, learner):
    organization = CredlyOrganization.objects.get()
    IssuedBadge.objects.create(user=learner, template=mapping.template, course_id=mapping.course_id,
                               earned_at="2026-11-25T00:00Z", state="pending")
    CredlyErrorLog.objects.create(organization=organization, kind="rate_limited", error="x")
    url = reverse("admin:openedx_credly_credlyorganization_remove", args=[organization.pk])

    page = admin_client.get(url).content.decode()
    assert "cannot be undone" in page
    assert "stay with the learners on Credly" in page
    assert CredlyOrganization.objects.exists()

    response = admin_client.post(url)
    assert response.status_code == 302
    assert not CredlyOrganization.objects.exists()
    assert not BadgeTemplate.objects.exists()
    assert not CourseBadgeTemplate.objects.exists()
    assert not CredlyErrorLog.objects.exists()
    assert not IssuedBadge.objects.exists()


def test_remove_integration_needs_delete_permission(client, organization, django_user_model):
    staff = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(staff)
    client.post(reverse("admin:openedx_credly_credlyorganization_remove", args=[organization.pk]))
    assert CredlyOrganization.objects.exists()


def test_retry_action_requeues_failed_badges(admin_client, mapping, learner, credly_api,
                                             django_capture_on_commit_callbacks):
    badge = make_badge(learner, mapping.template, mapping.course_id, state="failed", issuance={"attempts": 8})
    credly_api.add(responses.POST, f"{ORG_URL}/badges", json={"data": {"id": "new", "state": "pending"}}, status=201)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:openedx_credly_issuedbadge_changelist"),
                          {"action": "retry_action", "_selected_action": [badge.pk]})
    badge.refresh_from_db()
    assert badge.state == "pending" and badge.credly_badge_id == "new"


def test_error_log_is_read_only_and_newest_first(admin_client, organization):
    CredlyErrorLog.objects.create(organization=organization, kind="rate_limited", error="Older")
    CredlyErrorLog.objects.create(organization=organization, kind="rate_limited", error="Newer")
    page = admin_client.get(reverse("admin:openedx_credly_credlyerrorlog_changelist")).content.decode()
    assert page.index("Newer") < page.index("Older")
    assert "Timestamp" in page and "Kind" in page  # the details are on each entry's page
    assert admin_client.get(reverse("admin:openedx_credly_credlyerrorlog_add")).status_code == 403


def test_mapping_form_offers_only_active_templates(admin_client, template, organization):
    BadgeTemplate.objects.create(organization=organization, template_id="old", name="Archived one",
                                 state=BadgeTemplate.STATE_ARCHIVED)
    page = admin_client.get(reverse("admin:openedx_credly_coursebadgetemplate_add")).content.decode()
    assert "Course Finisher" in page
    assert "Archived one" not in page


def test_issued_badges_are_offered_as_view_only_and_retry_stays_with_change_permission(admin_client, mapping, learner):
    """The change page is read-only: the index and the list say "View", not "Change"."""
    badge = make_badge(learner, mapping.template, state="failed")
    index = admin_client.get(reverse("admin:index")).content.decode()
    row = index[index.index('href="/admin/openedx_credly/issuedbadge/"'):][:600]
    assert "View" in row and "Change" not in row
    page = admin_client.get(reverse("admin:openedx_credly_issuedbadge_change", args=[badge.pk]))
    assert page.status_code == 200 and "View issued badge" in page.content.decode()
    changelist = admin_client.get(reverse("admin:openedx_credly_issuedbadge_changelist")).content.decode()
    assert 'value="retry_action"' in changelist
