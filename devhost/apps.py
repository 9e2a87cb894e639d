"""The host's own app: connects plugin receivers once apps are ready, like the LMS."""
from django.apps import AppConfig
from edx_django_utils.plugins import connect_plugin_receivers


class DevhostConfig(AppConfig):
    """Wires plugin signal receivers the way edx-platform's startup does."""

    name = "devhost"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        connect_plugin_receivers("lms.djangoapp")
