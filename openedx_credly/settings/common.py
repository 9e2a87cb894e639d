"""
Default settings of openedx-credly.

Each value is set only when the host has not set it already, so values that an
operator put in the platform's YAML (top-level names) survive the plugin loading.
"""
from datetime import timedelta

DEFAULTS = {
    # Where Credly lives. Sandbox and production are separate Credly instances.
    "CREDLY_API_BASE_URL": "https://api.credly.com/v1/",
    "CREDLY_SANDBOX_API_BASE_URL": "https://sandbox-api.credly.com/v1/",
    "CREDLY_WEB_BASE_URL": "https://www.credly.com/",
    "CREDLY_SANDBOX_WEB_BASE_URL": "https://sandbox.credly.com/",
    "CREDLY_OAUTH_TOKEN_URL": "https://www.credly.com/oauth/token",
    "CREDLY_SANDBOX_OAUTH_TOKEN_URL": "https://sandbox.credly.com/oauth/token",
    # Seconds to wait for Credly before giving up on one request.
    "CREDLY_REQUEST_TIMEOUT": 10,
    # Celery queue of the plugin's tasks; None uses the platform's default queue.
    "CREDLY_CELERY_QUEUE": None,
    # How many times one badge is sent (one round; an operator's retry grants another) before it fails.
    "CREDLY_MAX_ATTEMPTS": 8,
    # Longest wait, in seconds, between two attempts of the same badge (waits past 10 minutes are
    # left to the sweeper rather than to the broker).
    "CREDLY_RETRY_BACKOFF_MAX": 3600,
    # Pause applied to an organization after a 429 that names no Retry-After.
    "CREDLY_RATE_LIMIT_PAUSE": 60,
    # A queued badge untouched this long (seconds) is sent to the queue again.
    "CREDLY_QUEUE_GRACE_PERIOD": 300,
    # Days before an authorization token expires when the error log starts warning.
    "CREDLY_TOKEN_EXPIRY_WARNING_DAYS": 14,
    # Fernet keys (newest first) for secrets at rest; empty derives one from SECRET_KEY.
    "CREDLY_ENCRYPTION_KEYS": [],
    # Ask Credly not to email the learner when a badge is issued.
    "CREDLY_SUPPRESS_BADGE_NOTIFICATION_EMAIL": False,
    # Badges per page of the learner's panel and of the badges API (which takes ?page_size= up to 100).
    "CREDLY_BADGES_PAGE_SIZE": 12,
    # Origins allowed to frame the learner's badge panel (the profile MFE).
    "CREDLY_PROFILE_FRAME_ANCESTORS": [],
    # Import a learner's earlier Credly badges (matched by email) on their first panel view, in a task.
    "CREDLY_IMPORT_ON_FIRST_VIEW": True,
    # Pending badges re-read from Credly per run of the periodic refresh (least recently checked first).
    "CREDLY_REFRESH_PENDING_LIMIT": 500,
    # Largest webhook notification body accepted, in bytes (Credly's are about 200).
    "CREDLY_WEBHOOK_MAX_BODY_BYTES": 10240,
    # Made-up event ids (Credly answers "not found") tolerated per organization and hour before new
    # notifications are ignored unfetched: a flood of forged ones must not spend Credly's rate limit.
    "CREDLY_WEBHOOK_UNCONFIRMED_LIMIT": 100,
    # Base URL of the LMS, used for the course link sent to Credly as evidence.
    "CREDLY_LMS_ROOT_URL": None,
    # Learners handled per database round of a backfill (memory stays flat whatever the course size).
    "CREDLY_BACKFILL_CHUNK_SIZE": 500,
    # Account (made inactive, on first use) that the admin history names for automated changes,
    # such as a course's badge mirrored from Studio's Advanced Settings.
    "CREDLY_SYSTEM_USERNAME": "openedx_credly_system",
    # Seconds the cached index of courses that belong to a learning path lives.
    "CREDLY_LEARNING_PATH_INDEX_TIMEOUT": 300,
    # Prefix of issuer_earner_id, our stable id of a learner on Credly (then the user id).
    "CREDLY_ISSUER_EARNER_ID_PREFIX": "openedx-user-",
    # Dotted path of the platform adapter class; None picks edx-platform's when it is there.
    "CREDLY_PLATFORM_ADAPTER": None,
}

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


def route_periodic_tasks(settings):
    """Send the periodic tasks to ``CREDLY_CELERY_QUEUE`` too, when the operator set one."""
    queue = getattr(settings, "CREDLY_CELERY_QUEUE", None)
    for schedule_name in ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"):
        schedule = getattr(settings, schedule_name, None) or {}
        for name in PERIODIC_TASKS:
            if name in schedule and queue:
                schedule[name]["options"] = {**schedule[name].get("options", {}), "queue": queue}
