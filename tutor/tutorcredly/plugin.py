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
from tutor.plugins.openedx import iter_mounted_directories

from .__about__ import __version__

HERE = os.path.abspath(os.path.dirname(__file__))

# The clone's folder name: `tutor mounts add /path/to/openedx-credly` installs it in the openedx image.
MOUNTED_NAME = "openedx-credly"

# The packed widget this package carries (tutor/setup.py packs it), under the templates that
# tutor-mfe renders into the mfe image's build context: ``credly/frontend-plugin-badges.tgz`` there.
WIDGET_TARBALL_TEMPLATE = "mfe/build/mfe/credly/frontend-plugin-badges.tgz"
WIDGET_TARBALL_IN_CONTEXT = "credly/frontend-plugin-badges.tgz"

# The MFEs the widget package serves, and what it adds to each: (slot, the widget object that
# the mfe-env-config-runtime-definitions-<mfe> patch defines). Each MFE named here gets the
# widget's install step in its own Dockerfile stage.
# Where the learning micro-frontend (frontend-app-learning) shows the course badges: beside the
# Progress tab's certificate status (side panel on large screens, main body below) and on the
# course exit page (its CourseRecommendationsSlot, shown to learners who passed).
LEARNING_SLOTS = (
    "org.openedx.frontend.learning.progress_tab_certificate_status_side_panel.v1",
    "org.openedx.frontend.learning.progress_tab_certificate_status_main_body.v1",
    "org.openedx.frontend.learning.course_recommendations.v1",
)
WIDGET_SLOTS = {
    # frontend-app-profile: below the learner's profile fields.
    "profile": [("org.openedx.frontend.profile.additional_profile_fields.v1", "credlyBadgesWidget")],
    # frontend-app-learning: each entry spreads ``credlyCourseBadges(slotId)``, which the
    # mfe-env-config-runtime-definitions-learning patch defines: the package's own plugins for
    # the slot, or none when CREDLY_COURSE_WIDGET is false (slots are registered before the
    # configuration is read).
    "learning": [(slot, f"...credlyCourseBadges('{slot}')") for slot in LEARNING_SLOTS],
}
# The configuration switch under which each MFE's image installs the widget package.
WIDGET_SWITCHES = {"profile": "CREDLY_MFE_WIDGET", "learning": "CREDLY_COURSE_WIDGET"}

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
        # Empty: the tarball this plugin carries. Else what npm installs after the "@": a
        # registry version or a tarball URL.
        "MFE_PACKAGE_VERSION": "",
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

# A clone mounted with `tutor mounts add` is installed from the mount (pip install -e), and the
# openedx-dockerfile-post-python-requirements patch then installs nothing from PyPI. Tutor's own
# "openedx-*" rule matches the name today; naming it keeps it so.
hooks.Filters.MOUNTED_DIRECTORIES.add_item(("openedx", MOUNTED_NAME))


def is_clone_mounted(mounts):
    """Whether ``MOUNTS`` (the Tutor value) installs openedx-credly from a clone in the openedx image."""
    return MOUNTED_NAME in iter_mounted_directories(mounts, "openedx")


def is_widget_carried():
    """Whether this installation of the plugin carries the packed widget (see tutor/setup.py)."""
    return os.path.isfile(os.path.join(HERE, "templates", *WIDGET_TARBALL_TEMPLATE.split("/")))


hooks.Filters.ENV_TEMPLATE_VARIABLES.add_items([
    ("credly_is_clone_mounted", is_clone_mounted),
    ("credly_is_widget_carried", is_widget_carried),
    ("CREDLY_WIDGET_TARBALL", WIDGET_TARBALL_IN_CONTEXT),
])

# The tarball reaches the mfe build context through tutor-mfe's "mfe/build" template target
# (tutor-mfe's hooks add it only when the mfe plugin is enabled), byte for byte.
hooks.Filters.ENV_TEMPLATE_ROOTS.add_item(os.path.join(HERE, "templates"))


@hooks.Filters.IS_FILE_RENDERED.add()
def _copy_widget_tarball_unrendered(rendered, template_name):
    return rendered and template_name != WIDGET_TARBALL_TEMPLATE


# The widget's install step, in the Dockerfile stage of every MFE the widget serves, under that
# MFE's switch: one package, one tarball, whichever MFEs show it.
with open(os.path.join(HERE, "templates", "credly", "mfe-dockerfile-install-widget"), encoding="utf-8") as step:
    WIDGET_INSTALL_STEP = step.read()
hooks.Filters.ENV_PATCHES.add_items([
    (f"mfe-dockerfile-post-npm-install-{mfe_name}",
     f"{{%- if {WIDGET_SWITCHES[mfe_name]} %}}{WIDGET_INSTALL_STEP}{{%- endif %}}")
    for mfe_name in WIDGET_SLOTS
])


def _add_widget_slots():
    """
    Put the widgets in their MFEs' slots, when tutor-mfe is installed.

    Each entry names a JavaScript object that the MFE's
    ``mfe-env-config-runtime-definitions-<mfe>`` patch defines from the configuration
    (the npm widget, or the framed page when ``CREDLY_MFE_WIDGET`` is false).
    """
    try:
        from tutormfe.hooks import PLUGIN_SLOTS  # pylint: disable=import-outside-toplevel
    except ImportError:
        return
    PLUGIN_SLOTS.add_items(
        [(mfe_name, slot, widget) for mfe_name, slots in WIDGET_SLOTS.items() for slot, widget in slots]
    )


_add_widget_slots()
