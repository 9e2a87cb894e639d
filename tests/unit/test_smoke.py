"""The host loads the plugin the way the LMS does."""
from django.apps import apps
from django.conf import settings


def test_plugin_installed_through_entry_point():
    assert apps.is_installed("openedx_credly")
    assert "openedx_credly.apps.OpenedxCredlyConfig" in settings.INSTALLED_APPS
    assert settings.CREDLY_MAX_ATTEMPTS == 8
