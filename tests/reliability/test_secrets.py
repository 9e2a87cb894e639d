"""
Secrets stay secret through the whole flow, with every logger at DEBUG.

An operator connects an organization in the admin with an authorization token and an
OAuth client (so requests carry an OAuth access token); a learner earns a badge, it is
issued on the fake Credly over real HTTP, a webhook updates it, the learner reads the
panel and the API, the credentials are then revoked so the failure paths log and raise
too, and the operator browses every admin page of the plugin. The token, the client
secret and every access token the fake handed out must appear in no log line, no
exception, no page and no API answer, and must be unreadable in the database.
"""
import json
import logging
import traceback

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from opaque_keys.edx.keys import CourseKey

from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyErrorLog, CredlyOrganization, IssuedBadge
from tests.conftest import ORG_ID, make_learner, send_certificate

TOKEN = "tok-SECRET-4f9d2c7a1b"
CLIENT_ID = "client-visible-id"
CLIENT_SECRET = "cs-SECRET-8e1b5a3f70"
TEMPLATE = "5ec0e7e5-0000-4000-8000-000000000001"
COURSE = "course-v1:Secret+S101+2026"


class _Everything(logging.Handler):
    """Keeps every record of every logger, message and traceback formatted."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def debug_logs():
    """Every logger at DEBUG (urllib3, requests, django, openedx_credly...), all captured."""
    handler = _Everything()
    root = logging.getLogger()
    saved = {name: logger.level for name, logger in logging.root.manager.loggerDict.items()
             if isinstance(logger, logging.Logger)}
    saved_root = root.level
    for name in saved:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved_root)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def _admin_pages(client):
    """Every changelist and change page of the plugin's models, and the add pages."""
    pages = {}
    for model in admin.site._registry:  # pylint: disable=protected-access
        if model._meta.app_label != "openedx_credly":
            continue
        info = (model._meta.app_label, model._meta.model_name)
        for kind in ("changelist", "add"):
            try:
                url = reverse(f"admin:{info[0]}_{info[1]}_{kind}")
            except NoReverseMatch:
                continue
            pages[url] = client.get(url)
        for pk in model.objects.values_list("pk", flat=True)[:3]:
            url = reverse(f"admin:{info[0]}_{info[1]}_change", args=[pk])
            pages[url] = client.get(url)
    return pages


def test_no_secret_in_logs_exceptions_pages_answers_or_database(  # pylint: disable=too-many-locals
    use_fake_credly, debug_logs, django_capture_on_commit_callbacks, django_user_model,
):
    fake = use_fake_credly
    fake.state.add_organization("Secret Academy", id=ORG_ID, token=TOKEN, client_id=CLIENT_ID,
                                client_secret=CLIENT_SECRET)
    fake.state.add_template(ORG_ID, "Secret Keeper", id=TEMPLATE, description="Keeps secrets.")
    operator = django_user_model.objects.create_superuser("operator", "op@example.com", "pw")
    operator_client = Client()
    operator_client.force_login(operator)
    seen = {}  # what each step answered, to scan for secrets at the end

    # 1. The operator connects with a token and an OAuth client; templates sync.
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(reverse("admin:openedx_credly_credlyorganization_add"), {
            "name": "Secret Academy", "organization_id": ORG_ID, "api_token": TOKEN, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    organization = CredlyOrganization.objects.get()
    assert organization.uses_oauth
    template = BadgeTemplate.objects.get(template_id=TEMPLATE)
    course_key = CourseKey.from_string(COURSE)
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template,
                                       trigger=CourseBadgeTemplate.TRIGGER_CERTIFICATE)

    # 2. A learner earns the badge: issued over HTTP with an OAuth access token.
    learner = make_learner(username="keeper", email="keeper@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(learner, course_key)
    badge = IssuedBadge.objects.get()
    assert badge.state == IssuedBadge.STATE_PENDING and badge.credly_badge_id

    # 3. The learner accepts on Credly; the webhook brings the change back.
    fake.state.accept_badge(badge.credly_badge_id)
    event_id = fake.state.all_events()[-1]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        seen["webhook"] = Client().post("/api/credly/v1/webhook/", data=json.dumps({
            "id": event_id, "organization_id": ORG_ID, "event_type": "badge.state.changed"}),
            content_type="application/json")
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_ACCEPTED

    # 4. The learner's panel and API.
    learner_client = Client()
    learner_client.force_login(learner)
    seen["api"] = learner_client.get("/api/credly/v1/badges/")
    seen["panel"] = learner_client.get("/credly/profile/badges/")
    assert seen["api"].json()["count"] == 1

    # 5. Credly revokes the credentials: the failure paths log, raise and record too.
    fake.state.revoke_credentials(ORG_ID)
    fake.state.advance_clock(3 * 3600)  # the cached access token has expired as well
    other = make_learner(username="late", email="late@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        send_certificate(other, course_key)
    assert CredlyErrorLog.objects.filter(kind=CredlyErrorLog.KIND_CONNECTION_EXPIRED).exists()

    # 6. The operator browses every admin page of the plugin.
    seen.update(_admin_pages(operator_client))
    statuses = {url: response.status_code for url, response in seen.items()}
    assert set(statuses.values()) <= {200, 302, 403}, statuses  # some models are read-only: no add page
    assert statuses[reverse("admin:openedx_credly_credlyorganization_change", args=[organization.pk])] == 200

    access_tokens = list(fake.state._access_tokens)  # pylint: disable=protected-access
    assert access_tokens, "the flow should have used OAuth access tokens"
    secrets = [TOKEN, CLIENT_SECRET, *access_tokens]

    # Logs: there were plenty (urllib3 at DEBUG included), and none holds a secret.
    assert any(line.startswith("urllib3") for line in debug_logs.lines)
    for line in debug_logs.lines:
        for secret in secrets:
            assert secret not in line, line
    # Pages and API answers.
    for url, response in seen.items():
        body = response.content.decode(errors="replace") + str(dict(response.headers))
        for secret in secrets:
            assert secret not in body, url
    # The error log, as stored.
    for entry in CredlyErrorLog.objects.all():
        for secret in secrets:
            assert secret not in f"{entry.error} {entry.details}"
    # The database, read raw: no table holds a secret in clear.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dump = repr(cursor.fetchall())
            for secret in secrets:
                assert secret not in dump, table
        cursor.execute("SELECT api_token, client_secret FROM openedx_credly_credlyorganization")
        stored_token, stored_secret = cursor.fetchone()
    assert stored_token.startswith("fernet:") and stored_secret.startswith("fernet:")
    organization.refresh_from_db()
    assert (organization.api_token, organization.client_secret) == (TOKEN, CLIENT_SECRET)  # readable in Python only
