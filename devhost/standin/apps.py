"""App config of the platform stand-in."""
from django.apps import AppConfig


class StandinConfig(AppConfig):
    """Minimal copies of the platform tables the plugin's adapter reads."""

    name = "devhost.standin"
    label = "standin"
    default_auto_field = "django.db.models.BigAutoField"
