"""
Settings of the standalone host.

Plugins are found through their ``lms.djangoapp`` entry points and configured by
edx-django-utils, exactly as edx-platform does it: nothing here names openedx_credly.
"""
import os
from pathlib import Path

from edx_django_utils.plugins import add_plugins, get_plugin_apps

BASE_DIR = Path(__file__).resolve().parent
SETTINGS_TYPE = os.environ.get("DEVHOST_SETTINGS_TYPE", "common")

SECRET_KEY = os.environ.get("DEVHOST_SECRET_KEY", "devhost-insecure-secret-key-for-local-use-only")
DEBUG = os.environ.get("DEVHOST_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es-419", "Español (Latinoamérica)")]
USE_I18N = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "devhost",
    "devhost.standin",
] + get_plugin_apps("lms.djangoapp")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "devhost.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]
STATIC_URL = "/static/"
LOGIN_URL = "/admin/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _database():
    """SQLite by default; MariaDB when DEVHOST_DB=mysql (Open edX's production database)."""
    if os.environ.get("DEVHOST_DB") == "mysql":
        import pymysql  # pylint: disable=import-outside-toplevel

        # Django checks mysqlclient's version; PyMySQL speaks the same protocol.
        pymysql.version_info = (2, 2, 1, "final", 0)
        pymysql.install_as_MySQLdb()
        return {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ.get("DEVHOST_DB_NAME", "openedx_credly"),
            "USER": os.environ.get("DEVHOST_DB_USER", "root"),
            "PASSWORD": os.environ.get("DEVHOST_DB_PASSWORD", ""),
            "HOST": os.environ.get("DEVHOST_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DEVHOST_DB_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"NAME": os.environ.get("DEVHOST_DB_TEST_NAME", "test_openedx_credly"), "CHARSET": "utf8mb4"},
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEVHOST_SQLITE_PATH", str(BASE_DIR.parent / "devhost.sqlite3")),
        "OPTIONS": {"timeout": 30},
    }


DATABASES = {"default": _database()}
# Seconds a worker keeps its database connection (0: reconnect per request/task, Django's default).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DEVHOST_CONN_MAX_AGE", "0"))
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication",
        "edx_rest_framework_extensions.auth.session.authentication.SessionAuthenticationAllowInactiveUser",
    ],
}
JWT_AUTH = {
    "JWT_ISSUER": "http://127.0.0.1:8000/oauth2",
    "JWT_AUDIENCE": "devhost",
    "JWT_SECRET_KEY": SECRET_KEY,
    "JWT_ISSUERS": [{"ISSUER": "http://127.0.0.1:8000/oauth2", "AUDIENCE": "devhost", "SECRET_KEY": SECRET_KEY}],
    "JWT_PUBLIC_SIGNING_JWK_SET": None,
    "JWT_AUTH_COOKIE": "edx-jwt-cookie",
    "JWT_AUTH_HEADER_PREFIX": "JWT",  # as in the LMS
}

# The standalone host sends no telemetry (edx-django-utils would otherwise try New Relic and warn).
OPENEDX_TELEMETRY = []

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_BROKER_URL") is None
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}

# Where the plugin reads the platform's certificates, roles and course settings.
CREDLY_PLATFORM_ADAPTER = "devhost.standin.platform.StandInPlatform"
# The demo serves on the port it is given: the course links sent to Credly follow it.
LMS_ROOT_URL = os.environ.get("DEVHOST_LMS_ROOT_URL", "http://127.0.0.1:8000")
# The LMS's default: profiles are visible to signed-in users unless the learner makes theirs private.
ACCOUNT_VISIBILITY_CONFIGURATION = {"default_visibility": "all_users"}
# Values a test or the demo sets through the environment, like an operator's YAML.
for _name in ("CREDLY_SANDBOX_API_BASE_URL", "CREDLY_SANDBOX_WEB_BASE_URL", "CREDLY_SANDBOX_OAUTH_TOKEN_URL",
              "CREDLY_API_BASE_URL", "CREDLY_WEB_BASE_URL", "CREDLY_OAUTH_TOKEN_URL"):
    if os.environ.get(_name):
        globals()[_name] = os.environ[_name]
# Numbers that end-to-end tests shorten for worker processes (see tests/integration/harness.py).
for _name in ("CREDLY_REQUEST_TIMEOUT", "CREDLY_QUEUE_GRACE_PERIOD", "CREDLY_MAX_ATTEMPTS",
              "CREDLY_RETRY_BACKOFF_MAX", "CREDLY_RATE_LIMIT_PAUSE", "CREDLY_WEBHOOK_UNCONFIRMED_LIMIT",
              "CREDLY_WEBHOOK_UNCONFIRMED_WINDOW"):
    if os.environ.get(_name):
        globals()[_name] = float(os.environ[_name]) if "." in os.environ[_name] else int(os.environ[_name])
if os.environ.get("CREDLY_CELERY_QUEUE"):
    CREDLY_CELERY_QUEUE = os.environ["CREDLY_CELERY_QUEUE"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"openedx_credly": {"handlers": ["console"], "level": os.environ.get("CREDLY_LOG_LEVEL", "WARNING")}},
}

add_plugins(__name__, "lms.djangoapp", SETTINGS_TYPE)

# The Celery beat test runs the sweeper every few seconds. add_plugins() above set both schedules
# in this module's globals, and routed them to CREDLY_CELERY_QUEUE when one is set.
if os.environ.get("DEVHOST_SWEEP_SECONDS"):
    for _name in ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"):
        globals()[_name]["openedx-credly-process-queue"]["schedule"] = float(os.environ["DEVHOST_SWEEP_SECONDS"])
