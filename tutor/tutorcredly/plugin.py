"""
The Tutor plugin of openedx-credly.

What it adds to a Tutor platform, each in its own patch file under ``patches/``:
the package in the ``openedx`` image, the ``CREDLY_*`` Django settings of the LMS and
Studio, a ``credly-beat`` service (stock Tutor runs no Celery beat), an optional worker
for the plugin's own queue, the badges widget in the profile MFE, and an init task.
"""
import os
from glob import glob

from tutor import hooks

from .__about__ import __version__

HERE = os.path.abspath(os.path.dirname(__file__))

# Where the profile micro-frontend (frontend-app-profile) lets a plugin add to the page.
PROFILE_SLOT = "org.openedx.frontend.profile.additional_profile_fields.v1"
# Where the learning micro-frontend (frontend-app-learning) shows the course badges: beside the
# Progress tab's certificate status (side panel on large screens, main body below) and on the
# course exit page (its CourseRecommendationsSlot, shown to learners who passed).
LEARNING_SLOTS = (
    "org.openedx.frontend.learning.progress_tab_certificate_status_side_panel.v1",
    "org.openedx.frontend.learning.progress_tab_certificate_status_main_body.v1",
    "org.openedx.frontend.learning.course_recommendations.v1",
)

config = {
    "defaults": {
        "VERSION": __version__,
        # What the openedx image installs: a version, a git URL, a local path.
        "PIP_PACKAGE": "openedx-credly=={{ CREDLY_VERSION }}",
        # The plugin's settings, with the plugin's own defaults.
        "API_BASE_URL": "https://api.credly.com/v1/",
        "SANDBOX_API_BASE_URL": "https://sandbox-api.credly.com/v1/",
        "WEB_BASE_URL": "https://www.credly.com/",
        "SANDBOX_WEB_BASE_URL": "https://sandbox.credly.com/",
        "OAUTH_TOKEN_URL": "https://www.credly.com/oauth/token",
        "SANDBOX_OAUTH_TOKEN_URL": "https://sandbox.credly.com/oauth/token",
        "REQUEST_TIMEOUT": 10,
        "MAX_ATTEMPTS": 8,
        "RETRY_BACKOFF_MAX": 3600,
        "RATE_LIMIT_PAUSE": 60,
        "QUEUE_GRACE_PERIOD": 300,
        "TOKEN_EXPIRY_WARNING_DAYS": 14,
        "SUPPRESS_BADGE_NOTIFICATION_EMAIL": False,
        "BADGES_PAGE_SIZE": 12,
        "IMPORT_ON_FIRST_VIEW": True,
        "REFRESH_PENDING_LIMIT": 500,
        # Origins allowed to frame the badges page besides the profile MFE's own.
        "PROFILE_FRAME_ANCESTORS": [],
        # Earlier encryption keys, still read until `credly_rotate_keys` has run.
        "PREVIOUS_ENCRYPTION_KEYS": [],
        # Celery beat: the one scheduler of the plugin's periodic tasks.
        "RUN_BEAT": True,
        # A worker of its own for the plugin's queue.
        "RUN_WORKER": False,
        "WORKER_CONCURRENCY": 2,
        # The plugin's Celery queue: empty uses the LMS default queue, unless the
        # dedicated worker runs, which then gets a queue of its own.
        "CELERY_QUEUE": "{% if CREDLY_RUN_WORKER %}edx.lms.core.credly{% endif %}",
        # The profile MFE: the native widget (an npm package) or the framed page.
        "MFE_WIDGET": True,
        "MFE_PACKAGE": "@openedx-credly/frontend-plugin-badges",
        "MFE_PACKAGE_VERSION": "{{ CREDLY_VERSION }}",
        "MFE_IFRAME_HEIGHT": "300px",
        # The learning MFE: the Course badges widget (same package as the profile's).
        "COURSE_WIDGET": True,
    },
    "unique": {
        # Encrypts Credly credentials at rest; not SECRET_KEY, so rotating that one
        # never makes stored credentials unreadable.
        "ENCRYPTION_KEY": "{{ 32|random_string }}",
    },
}

hooks.Filters.CONFIG_DEFAULTS.add_items([(f"CREDLY_{key}", value) for key, value in config["defaults"].items()])
hooks.Filters.CONFIG_UNIQUE.add_items([(f"CREDLY_{key}", value) for key, value in config["unique"].items()])

# Patches: one file per patch name, rendered with the Tutor configuration.
for path in sorted(glob(os.path.join(HERE, "patches", "*"))):
    with open(path, encoding="utf-8") as patch_file:
        hooks.Filters.ENV_PATCHES.add_item((os.path.basename(path), patch_file.read()))

# `tutor local do init --limit=credly`, and every `tutor local launch`.
with open(os.path.join(HERE, "templates", "credly", "tasks", "lms", "init"), encoding="utf-8") as task_file:
    hooks.Filters.CLI_DO_INIT_TASKS.add_item(("lms", task_file.read()))


def _add_profile_widget():
    """
    Put the badges in the profile MFE's slot, when tutor-mfe is installed.

    The slot's entry names ``credlyBadgesWidget``, which the
    ``mfe-env-config-runtime-definitions-profile`` patch defines from the configuration
    (the npm widget, or the framed page when ``CREDLY_MFE_WIDGET`` is false).
    """
    try:
        from tutormfe.hooks import PLUGIN_SLOTS  # pylint: disable=import-outside-toplevel
    except ImportError:
        return
    PLUGIN_SLOTS.add_item(("profile", PROFILE_SLOT, "credlyBadgesWidget"))


def _add_course_widget():
    """
    Put the course badges in the learning MFE's slots, when tutor-mfe is installed.

    Each entry spreads ``credlyCourseBadges(slotId)``, which the
    ``mfe-env-config-runtime-definitions-learning`` patch defines: the package's own
    plugins for the slot (``courseBadgesPluginSlots``), or none when ``CREDLY_COURSE_WIDGET``
    is false (slots are registered before the configuration is read).
    """
    try:
        from tutormfe.hooks import PLUGIN_SLOTS  # pylint: disable=import-outside-toplevel
    except ImportError:
        return
    PLUGIN_SLOTS.add_items([("learning", slot, f"...credlyCourseBadges('{slot}')") for slot in LEARNING_SLOTS])


_add_profile_widget()
_add_course_widget()
