"""
Default settings of openedx-credly.

Each value is set only when the host has not set it already, so values that an
operator put in the platform's YAML (top-level names) survive the plugin loading.
"""
from datetime import timedelta
from pathlib import Path

DEFAULTS = {
    # .. toggle_name: CREDLY_ISSUING_ENABLED
    # .. toggle_implementation: DjangoSetting
    # .. toggle_default: True
    # .. toggle_description: The kill switch of issuing. Off, platform events (certificates, passing, grades,
    #   enrollments) earn no new badge: the receivers record nothing, so nothing is queued or sent for them. Badges
    #   already queued are still sent; a backfill (``credly_backfill``, ``credly_backfill_milestones``) awards the
    #   missed ones once it is on again.
    #   Read through ``openedx_credly.awarding.toggles.is_issuing_enabled()``.
    # .. toggle_use_cases: circuit_breaker
    # .. toggle_creation_date: 2026-12-01
    "CREDLY_ISSUING_ENABLED": True,
    # .. setting_name: CREDLY_API_BASE_URL
    # .. setting_default: "https://api.credly.com/v1/"
    # .. setting_description: Base URL of Credly's production API.
    "CREDLY_API_BASE_URL": "https://api.credly.com/v1/",
    # .. setting_name: CREDLY_SANDBOX_API_BASE_URL
    # .. setting_default: "https://sandbox-api.credly.com/v1/"
    # .. setting_description: Base URL of Credly's sandbox API (organizations with "use the Credly sandbox" ticked).
    "CREDLY_SANDBOX_API_BASE_URL": "https://sandbox-api.credly.com/v1/",
    # .. setting_name: CREDLY_WEB_BASE_URL
    # .. setting_default: "https://www.credly.com/"
    # .. setting_description: Credly's production web site, where badges and their accept pages live.
    "CREDLY_WEB_BASE_URL": "https://www.credly.com/",
    # .. setting_name: CREDLY_SANDBOX_WEB_BASE_URL
    # .. setting_default: "https://sandbox.credly.com/"
    # .. setting_description: Credly's sandbox web site.
    "CREDLY_SANDBOX_WEB_BASE_URL": "https://sandbox.credly.com/",
    # .. setting_name: CREDLY_OAUTH_TOKEN_URL
    # .. setting_default: "https://www.credly.com/oauth/token"
    # .. setting_description: Where production OAuth access tokens are requested (organizations connected with a
    #   client).
    "CREDLY_OAUTH_TOKEN_URL": "https://www.credly.com/oauth/token",
    # .. setting_name: CREDLY_SANDBOX_OAUTH_TOKEN_URL
    # .. setting_default: "https://sandbox.credly.com/oauth/token"
    # .. setting_description: Where sandbox OAuth access tokens are requested.
    "CREDLY_SANDBOX_OAUTH_TOKEN_URL": "https://sandbox.credly.com/oauth/token",
    # .. setting_name: CREDLY_REQUEST_TIMEOUT
    # .. setting_default: 10
    # .. setting_description: Seconds to wait for Credly before giving up on one request.
    "CREDLY_REQUEST_TIMEOUT": 10,
    # .. setting_name: CREDLY_CELERY_QUEUE
    # .. setting_default: None
    # .. setting_description: Celery queue of the plugin's tasks; None uses the platform's default queue.
    "CREDLY_CELERY_QUEUE": None,
    # .. setting_name: CREDLY_MAX_ATTEMPTS
    # .. setting_default: 8
    # .. setting_description: How many times one badge is sent (one round; an operator's retry grants another)
    #   before it is marked failed.
    "CREDLY_MAX_ATTEMPTS": 8,
    # .. setting_name: CREDLY_RETRY_BACKOFF_MAX
    # .. setting_default: 3600
    # .. setting_description: Longest wait, in seconds, between two attempts of the same badge (waits past 10
    #   minutes are left to the sweeper rather than to the broker).
    "CREDLY_RETRY_BACKOFF_MAX": 3600,
    # .. setting_name: CREDLY_RATE_LIMIT_PAUSE
    # .. setting_default: 60
    # .. setting_description: Seconds an organization pauses after a 429 from Credly that names no Retry-After.
    "CREDLY_RATE_LIMIT_PAUSE": 60,
    # .. setting_name: CREDLY_RETRY_AFTER_CAP_SECONDS
    # .. setting_default: 3600
    # .. setting_description: Longest pause, in seconds, that a 429's Retry-After can impose on an organization's
    #   issuing (and on a revocation); a longer value is capped, and the error log says so.
    "CREDLY_RETRY_AFTER_CAP_SECONDS": 3600,
    # .. setting_name: CREDLY_QUEUE_GRACE_PERIOD
    # .. setting_default: 300
    # .. setting_description: A queued badge untouched this long (seconds) is sent to the Celery queue again by the
    #   sweeper.
    "CREDLY_QUEUE_GRACE_PERIOD": 300,
    # .. setting_name: CREDLY_TOKEN_EXPIRY_WARNING_DAYS
    # .. setting_default: 14
    # .. setting_description: Days before an authorization token expires when the Credly error log starts warning.
    "CREDLY_TOKEN_EXPIRY_WARNING_DAYS": 14,
    # .. setting_name: CREDLY_ENCRYPTION_KEYS
    # .. setting_default: []
    # .. setting_description: Fernet keys, newest first, that encrypt the Credly secrets at rest; empty derives one from
    #   SECRET_KEY.
    "CREDLY_ENCRYPTION_KEYS": [],
    # .. toggle_name: CREDLY_SUPPRESS_BADGE_NOTIFICATION_EMAIL
    # .. toggle_implementation: DjangoSetting
    # .. toggle_default: False
    # .. toggle_description: Ask Credly not to email the learner when a badge is issued.
    # .. toggle_use_cases: opt_in
    # .. toggle_creation_date: 2026-12-01
    "CREDLY_SUPPRESS_BADGE_NOTIFICATION_EMAIL": False,
    # .. setting_name: CREDLY_BADGES_PAGE_SIZE
    # .. setting_default: 12
    # .. setting_description: Badges per page of the learner's panel and of the badges API (which takes ?page_size= up
    #   to 100).
    "CREDLY_BADGES_PAGE_SIZE": 12,
    # .. setting_name: CREDLY_PROFILE_FRAME_ANCESTORS
    # .. setting_default: []
    # .. setting_description: Origins allowed to frame the learner's badge panel (the profile micro-frontend's).
    "CREDLY_PROFILE_FRAME_ANCESTORS": [],
    # .. toggle_name: CREDLY_IMPORT_ON_FIRST_VIEW
    # .. toggle_implementation: DjangoSetting
    # .. toggle_default: True
    # .. toggle_description: Import a learner's earlier Credly badges (matched by email), in a task, on their first
    #   panel view.
    # .. toggle_use_cases: opt_out
    # .. toggle_creation_date: 2026-12-01
    "CREDLY_IMPORT_ON_FIRST_VIEW": True,
    # .. setting_name: CREDLY_REFRESH_PENDING_LIMIT
    # .. setting_default: 500
    # .. setting_description: Pending badges re-read from Credly per run of the periodic refresh, least recently checked
    #   first.
    "CREDLY_REFRESH_PENDING_LIMIT": 500,
    # .. setting_name: CREDLY_WEBHOOK_MAX_BODY_BYTES
    # .. setting_default: 10240
    # .. setting_description: Largest webhook notification body accepted, in bytes (Credly's are about 200).
    "CREDLY_WEBHOOK_MAX_BODY_BYTES": 10240,
    # .. setting_name: CREDLY_WEBHOOK_UNCONFIRMED_LIMIT
    # .. setting_default: 100
    # .. setting_description: Made-up event ids (Credly answers "not found") tolerated per organization and hour before
    #   new
    #   notifications are ignored unfetched: a flood of forged ones must not spend Credly's rate limit.
    "CREDLY_WEBHOOK_UNCONFIRMED_LIMIT": 100,
    # .. setting_name: CREDLY_WEBHOOK_UNCONFIRMED_WINDOW
    # .. setting_default: 3600
    # .. setting_description: Seconds an event id that Credly did not confirm counts against
    #   CREDLY_WEBHOOK_UNCONFIRMED_LIMIT.
    "CREDLY_WEBHOOK_UNCONFIRMED_WINDOW": 3600,
    # .. setting_name: CREDLY_WEBHOOK_DEFERRED_LIMIT
    # .. setting_default: 10000
    # .. setting_description: Webhook events kept per organization while they wait for a flood of unconfirmed ones
    #   to pass; past it, new event ids are dropped.
    "CREDLY_WEBHOOK_DEFERRED_LIMIT": 10000,
    # .. setting_name: CREDLY_API_MAX_BODY_BYTES
    # .. setting_default: 65536
    # .. setting_description: Largest JSON body the plugin's REST API reads, in bytes.
    "CREDLY_API_MAX_BODY_BYTES": 65536,
    # .. setting_name: CREDLY_WEBHOOK_EVENT_RETENTION_DAYS
    # .. setting_default: 30
    # .. setting_description: Days webhook events are kept (a redelivery within them costs no fetch; Credly
    #   redelivers for 25 days). 0 keeps them forever.
    "CREDLY_WEBHOOK_EVENT_RETENTION_DAYS": 30,
    # .. setting_name: CREDLY_ERROR_LOG_RETENTION_DAYS
    # .. setting_default: 90
    # .. setting_description: Days Credly error-log entries are kept. 0 keeps them forever.
    "CREDLY_ERROR_LOG_RETENTION_DAYS": 90,
    # .. setting_name: CREDLY_LMS_ROOT_URL
    # .. setting_default: None
    # .. setting_description: Base URL of the LMS for the course link sent to Credly as evidence; None uses
    #   LMS_ROOT_URL.
    "CREDLY_LMS_ROOT_URL": None,
    # .. setting_name: CREDLY_BACKFILL_CHUNK_SIZE
    # .. setting_default: 500
    # .. setting_description: Learners handled per database round of a backfill (memory stays flat whatever the course
    #   size).
    "CREDLY_BACKFILL_CHUNK_SIZE": 500,
    # .. setting_name: CREDLY_SYSTEM_USERNAME
    # .. setting_default: "openedx_credly_system"
    # .. setting_description: Account (made inactive, on first use) that the admin history names for automated changes,
    #   such as a course's badge mirrored from Studio's Advanced Settings.
    "CREDLY_SYSTEM_USERNAME": "openedx_credly_system",
    # .. setting_name: CREDLY_LEARNING_PATH_INDEX_TIMEOUT
    # .. setting_default: 300
    # .. setting_description: Seconds the cached index of the courses that belong to a learning path lives.
    "CREDLY_LEARNING_PATH_INDEX_TIMEOUT": 300,
    # .. setting_name: CREDLY_MILESTONE_INDEX_TIMEOUT
    # .. setting_default: 300
    # .. setting_description: Seconds the cached "which kinds of milestone are active" fact lives (it is dropped
    #   when a milestone changes).
    "CREDLY_MILESTONE_INDEX_TIMEOUT": 300,
    # .. setting_name: CREDLY_EXTRA_CERTIFICATE_MODES
    # .. setting_default: []
    # .. setting_description: Certificate modes of the site's own, accepted in a course mapping's modes beside the
    #   standard ones.
    "CREDLY_EXTRA_CERTIFICATE_MODES": [],
    # .. setting_name: CREDLY_ISSUER_EARNER_ID_PREFIX
    # .. setting_default: "openedx-user-"
    # .. setting_description: Prefix of issuer_earner_id, our stable id of a learner on Credly (the user id follows).
    "CREDLY_ISSUER_EARNER_ID_PREFIX": "openedx-user-",
    # .. setting_name: CREDLY_PLATFORM_ADAPTER
    # .. setting_default: None
    # .. setting_description: Dotted path of the platform adapter class; None picks edx-platform's when it is there.
    "CREDLY_PLATFORM_ADAPTER": None,
}

# The plugin's catalogues. Django reads an app's own ``locale`` folder, not Open edX's ``conf/locale``.
LOCALE_PATH = str(Path(__file__).resolve().parent.parent / "conf" / "locale")

PERIODIC_TASKS = {
    "openedx-credly-process-queue": {
        "task": "openedx_credly.tasks.process_queue",
        "schedule": timedelta(minutes=5),
    },
    "openedx-credly-sync-templates": {
        "task": "openedx_credly.tasks.sync_all_templates",
        "schedule": timedelta(hours=6),
    },
    # Keeps pending badges in step where Credly's webhook is not registered.
    "openedx-credly-refresh-pending-badges": {
        "task": "openedx_credly.tasks.refresh_pending_badges",
        "schedule": timedelta(minutes=15),
    },
    # Fetches webhook events deferred during a flood of forged notifications.
    "openedx-credly-release-deferred-webhook-events": {
        "task": "openedx_credly.tasks.release_deferred_webhook_events",
        "schedule": timedelta(minutes=5),
    },
    # Deletes webhook events and error-log entries past their retention.
    "openedx-credly-prune-records": {
        "task": "openedx_credly.tasks.prune_records",
        "schedule": timedelta(days=1),
    },
}


def plugin_settings(settings):
    """Set the plugin's defaults on the platform's settings object."""
    for name, value in DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)

    # A Celery app that reads Django settings with the "CELERY" namespace uses
    # CELERY_BEAT_SCHEDULE; one that reads them without a namespace uses the old
    # CELERYBEAT_SCHEDULE name. Each ignores the other, so both are filled.
    for schedule_name in ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"):
        schedule = getattr(settings, schedule_name, None)
        if schedule is None:
            schedule = {}
            setattr(settings, schedule_name, schedule)
        for name, entry in PERIODIC_TASKS.items():
            schedule.setdefault(name, dict(entry))
    route_periodic_tasks(settings)
    _add_locale_path(settings)


def _add_locale_path(settings):
    """Append the plugin's catalogues to LOCALE_PATHS (after the platform's, which keep precedence)."""
    paths = getattr(settings, "LOCALE_PATHS", [])
    calculate = getattr(paths, "calculate_value", None)
    if callable(calculate):
        # edx-platform computes LOCALE_PATHS after the plugins' settings (a ``Derived`` setting):
        # wrap its calculation rather than replace it.
        settings.LOCALE_PATHS = type(paths)(lambda platform_settings: [*calculate(platform_settings), LOCALE_PATH])
    elif LOCALE_PATH not in paths:
        settings.LOCALE_PATHS = [*paths, LOCALE_PATH]


def route_periodic_tasks(settings):
    """Send the periodic tasks to ``CREDLY_CELERY_QUEUE`` too, when the operator set one."""
    queue = getattr(settings, "CREDLY_CELERY_QUEUE", None)
    for schedule_name in ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"):
        schedule = getattr(settings, schedule_name, None) or {}
        for name in PERIODIC_TASKS:
            if name in schedule and queue:
                schedule[name]["options"] = {**schedule[name].get("options", {}), "queue": queue}
