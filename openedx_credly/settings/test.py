"""Settings of openedx-credly under the platform's test settings."""
from openedx_credly.settings import common


def plugin_settings(settings):
    """Use the common defaults; tests point the Credly URLs at a fake server themselves."""
    common.plugin_settings(settings)
