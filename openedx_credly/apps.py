"""The Django application of openedx-credly, declared as an Open edX plugin."""
from django.apps import AppConfig
from edx_django_utils.plugins import PluginSettings, PluginSignals, PluginURLs

_SETTINGS = {
    "common": {PluginSettings.RELATIVE_PATH: "settings.common"},
    "production": {PluginSettings.RELATIVE_PATH: "settings.production"},
    "test": {PluginSettings.RELATIVE_PATH: "settings.test"},
}

# (receiver in awarding/receivers.py, signal in openedx_events.learning.signals)
_RECEIVERS = [
    ("on_certificate_created", "CERTIFICATE_CREATED"),
    ("on_certificate_changed", "CERTIFICATE_CHANGED"),
    ("on_certificate_revoked", "CERTIFICATE_REVOKED"),
    ("on_passing_status_updated", "COURSE_PASSING_STATUS_UPDATED"),
    ("on_ccx_passing_status_updated", "CCX_COURSE_PASSING_STATUS_UPDATED"),
    ("on_persistent_grade_changed", "PERSISTENT_GRADE_SUMMARY_CHANGED"),
    ("on_enrollment_created", "COURSE_ENROLLMENT_CREATED"),
    ("on_unenrollment_completed", "COURSE_UNENROLLMENT_COMPLETED"),
]

# Studio only: (receiver in course_staff/cms_receivers.py, full path of the signal). A course publish
# sends COURSE_CATALOG_INFO_CHANGED; its Advanced Settings badge choice is mirrored then.
_CMS_RECEIVERS = [
    ("on_course_catalog_info_changed", "openedx_events.content_authoring.signals.COURSE_CATALOG_INFO_CHANGED"),
]


def _signals_config(relative_path="awarding.receivers", extra_receivers=()):
    return {
        PluginSignals.RELATIVE_PATH: relative_path,
        PluginSignals.RECEIVERS: [
            {
                PluginSignals.RECEIVER_FUNC_NAME: receiver,
                PluginSignals.SIGNAL_PATH: f"openedx_events.learning.signals.{signal}",
            }
            for receiver, signal in _RECEIVERS
        ] + [
            {PluginSignals.RECEIVER_FUNC_NAME: receiver, PluginSignals.SIGNAL_PATH: signal_path}
            for receiver, signal_path in extra_receivers
        ],
    }


class OpenedxCredlyConfig(AppConfig):
    """Awards Credly badges for course achievements."""

    name = "openedx_credly"
    label = "openedx_credly"
    verbose_name = "Credly badges"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_app = {
        PluginURLs.CONFIG: {
            project: {
                PluginURLs.NAMESPACE: "openedx_credly",
                PluginURLs.REGEX: r"^",
                PluginURLs.RELATIVE_PATH: "urls",
            }
            for project in ("lms.djangoapp", "cms.djangoapp")
        },
        PluginSettings.CONFIG: {project: _SETTINGS for project in ("lms.djangoapp", "cms.djangoapp")},
        PluginSignals.CONFIG: {
            "lms.djangoapp": _signals_config(),
            "cms.djangoapp": _signals_config("course_staff.cms_receivers", _CMS_RECEIVERS),
        },
    }

    def ready(self):
        # Registers the Celery tasks with the platform's Celery app (tasks) and the admin pages
        # (operators.admin: Django's autodiscovery looks for openedx_credly.admin, which the
        # package's layout does not have), and connects to the LMS's account retirement, a plain
        # Django signal found through the platform adapter.
        # pylint: disable=import-outside-toplevel,unused-import
        from openedx_credly import platform, tasks
        from openedx_credly.learners import retirement
        from openedx_credly.operators import admin

        platform.get_retirement_signal().connect(retirement.on_user_retired, dispatch_uid="openedx_credly.retirement")
