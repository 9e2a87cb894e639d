"""
Settings for the test suite: the standalone host, plugins loaded as the LMS loads them.

The plugin's ``test`` settings are applied through edx-django-utils; nothing here adds
openedx_credly to INSTALLED_APPS by hand.
"""
import os

os.environ.setdefault("DEVHOST_SETTINGS_TYPE", "test")

from devhost.settings import *  # noqa: E402,F403  pylint: disable=wildcard-import,unused-wildcard-import,wrong-import-position

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # Tests get a fresh in-memory database unless a test asks for a file (real workers).
    DATABASES["default"]["NAME"] = os.environ.get("DEVHOST_SQLITE_PATH", ":memory:")  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("DEVHOST_SQLITE_TEST_PATH") or None}  # noqa: F405

CELERY_TASK_ALWAYS_EAGER = True
# Tasks run eagerly and their exceptions reach the test: a task that fails fails its test.
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CREDLY_ENCRYPTION_KEYS = []
