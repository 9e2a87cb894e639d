"""Operator overrides of openedx-credly settings, read in production."""
from openedx_credly.settings.common import DEFAULTS, route_periodic_tasks


def plugin_settings(settings):
    """
    Take each ``CREDLY_*`` value the operator configured.

    Older releases hand YAML values over in ``ENV_TOKENS`` and ``AUTH_TOKENS``;
    newer ones put them on the settings module itself, where common.py left them.
    """
    for source_name in ("ENV_TOKENS", "AUTH_TOKENS"):
        tokens = getattr(settings, source_name, None) or {}
        for name in DEFAULTS:
            if name in tokens:
                setattr(settings, name, tokens[name])
    route_periodic_tasks(settings)
