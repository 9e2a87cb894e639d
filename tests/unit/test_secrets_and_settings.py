"""Secrets at rest (encryption, rotation) and the settings an operator can override."""
import types
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from edx_django_utils.plugins import get_plugin_url_patterns

from openedx_credly import crypto
from openedx_credly.models import CredlyOrganization
from openedx_credly.settings import common, production


def _raw(pk, column="api_token"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM openedx_credly_credlyorganization WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_secret_is_unreadable_in_database_and_plain_in_python(organization):
    raw = _raw(organization.pk)
    assert raw.startswith(crypto.PREFIX) and "tok-secret" not in raw
    assert CredlyOrganization.objects.get().api_token == "tok-secret-1234567890"


def test_rotation_keeps_secrets_readable(organization, settings):
    old_key = Fernet.generate_key().decode()
    settings.CREDLY_ENCRYPTION_KEYS = [old_key]
    call_command("credly_rotate_keys", stdout=StringIO())
    under_old = _raw(organization.pk)

    settings.CREDLY_ENCRYPTION_KEYS = ["a new passphrase of any length", old_key]
    assert CredlyOrganization.objects.get().api_token == "tok-secret-1234567890"  # old key still reads
    call_command("credly_rotate_keys", stdout=StringIO())
    assert _raw(organization.pk) != under_old

    settings.CREDLY_ENCRYPTION_KEYS = ["a new passphrase of any length"]  # old key retired
    assert CredlyOrganization.objects.get().api_token == "tok-secret-1234567890"


def test_unreadable_secret_reads_empty_and_logs_without_secret(organization, settings, caplog):
    settings.CREDLY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    call_command("credly_rotate_keys", stdout=StringIO())
    settings.CREDLY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key in use was lost
    assert CredlyOrganization.objects.get().api_token == ""
    assert "cannot be decrypted" in caplog.text
    assert "tok-secret" not in caplog.text


def test_common_settings_keep_values_the_operator_already_set():
    host = types.SimpleNamespace(CREDLY_REQUEST_TIMEOUT=3)
    common.plugin_settings(host)
    assert host.CREDLY_REQUEST_TIMEOUT == 3
    assert host.CREDLY_API_BASE_URL == "https://api.credly.com/v1/"
    assert host.CREDLY_SANDBOX_API_BASE_URL == "https://sandbox-api.credly.com/v1/"
    assert "openedx-credly-process-queue" in host.CELERY_BEAT_SCHEDULE


@pytest.mark.parametrize("source", ["ENV_TOKENS", "AUTH_TOKENS"])
def test_production_settings_read_operator_overrides(source):
    host = types.SimpleNamespace(**{source: {"CREDLY_CELERY_QUEUE": "edx.lms.core.credly", "CREDLY_MAX_ATTEMPTS": 3,
                                             "UNRELATED": 1}})
    common.plugin_settings(host)
    production.plugin_settings(host)
    assert host.CREDLY_CELERY_QUEUE == "edx.lms.core.credly"
    assert host.CREDLY_MAX_ATTEMPTS == 3
    assert not hasattr(host, "UNRELATED")


def test_tasks_are_routed_to_the_configured_queue(settings):
    from openedx_credly.issuing import scheduling  # pylint: disable=import-outside-toplevel

    no_queue = scheduling.routing()
    assert isinstance(no_queue, dict) and not no_queue
    settings.CREDLY_CELERY_QUEUE = "credly"
    assert scheduling.routing() == {"queue": "credly"}


def test_studio_serves_the_same_urls():
    lms = {str(pattern.pattern) for pattern in get_plugin_url_patterns("lms.djangoapp")}
    cms = {str(pattern.pattern) for pattern in get_plugin_url_patterns("cms.djangoapp")}
    assert lms == cms and lms
