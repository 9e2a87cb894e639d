"""
The operator's error log: what went wrong, in words that say what to do.

Every entry is also written to the Python log. Nothing here ever receives a secret:
callers pass Credly's own message (which never echoes credentials) or our words.

An entry about a learner carries a link to her (``learner``: the badge's learner, or the
one given), so that her retirement finds her entries through an index, never by text.
"""
import logging
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from openedx_credly.models import CredlyErrorLog

log = logging.getLogger(__name__)


def record(organization, kind, error, details="", *, badge=None, learner_id=None):
    """Add an entry to ``organization``'s error log, linked to the learner it is about (``badge``'s by default)."""
    log.warning("Credly organization %s: %s. %s", organization.organization_id, error, details)
    if learner_id is None and badge is not None:
        learner_id = badge.user_id
    with transaction.atomic():  # a savepoint of its own: this may run inside the platform's transaction
        return CredlyErrorLog.objects.create(
            organization=organization, kind=kind, error=str(error)[:255], details=str(details), badge=badge,
            learner_id=learner_id,
        )


def connection_expired(organization, waiting):
    """Credly answered 401: the token or OAuth client no longer works."""
    return record(
        organization,
        CredlyErrorLog.KIND_CONNECTION_EXPIRED,
        _("Connection expired"),
        _(
            "Credly no longer accepts the credentials of %(name)s: they expired or were revoked. "
            "Reconnect the organization in the admin to resume issuing; %(waiting)s badge(s) are waiting."
        ) % {"name": organization.name, "waiting": waiting},
    )


def credentials_unreadable(organization, waiting):
    """The stored credentials cannot be decrypted (the key was removed or changed)."""
    return record(
        organization,
        CredlyErrorLog.KIND_CONNECTION_EXPIRED,
        _("Credentials cannot be decrypted"),
        _(
            "The stored credentials of %(name)s cannot be decrypted with CREDLY_ENCRYPTION_KEYS: restore the old "
            "key or reconnect the organization in the admin. Issuing is paused; %(waiting)s badge(s) are waiting."
        ) % {"name": organization.name, "waiting": waiting},
    )


def permission_denied(organization, waiting):
    """Credly answered 403: the credential works but may not issue badges."""
    return record(
        organization,
        CredlyErrorLog.KIND_PERMISSION_DENIED,
        _("Permission denied"),
        _(
            "The credentials of %(name)s are not allowed to do this on Credly. Give them the permission to "
            "issue badges, or use other credentials, then reconnect; %(waiting)s badge(s) are waiting."
        ) % {"name": organization.name, "waiting": waiting},
    )


def rate_limited(organization, until, asked=None):
    """Credly answered 429: issuing is paused until ``until`` (``asked``: a longer Retry-After, capped)."""
    details = _(
        "Credly asked us to slow down. Issuing for %(name)s is paused until %(until)s UTC "
        "and resumes on its own; no badge is lost."
    ) % {"name": organization.name, "until": until.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}
    if asked is not None:
        details += " " + _(
            "Credly asked for a pause of %(asked).0f seconds; the plugin pauses at most %(cap).0f seconds "
            "(CREDLY_RETRY_AFTER_CAP_SECONDS)."
        ) % {"asked": float(asked), "cap": float(settings.CREDLY_RETRY_AFTER_CAP_SECONDS)}
    return record(organization, CredlyErrorLog.KIND_RATE_LIMITED, _("Rate limit reached"), details)


def issuance_failed(badge, reason):
    """A badge could not be issued and will not be retried."""
    return record(
        badge.template.organization,
        CredlyErrorLog.KIND_ISSUANCE_FAILED,
        _("Badge issuance failed"),
        _('The badge "%(badge)s" was not issued to %(email)s: %(reason)s') % {
            "badge": badge.template.name, "email": badge.recipient_email or _("(no email)"), "reason": reason,
        },
        badge=badge,
    )


def learner_data_incomplete(organization, course_key, username, reason, *, learner_id=None):
    """The learner (``learner_id``, when the account exists) earned a badge, but what Credly needs is missing."""
    return record(
        organization,
        CredlyErrorLog.KIND_LEARNER_DATA,
        _("Badge not issued: learner data incomplete"),
        _("Learner %(username)s earned the badge of %(course)s, but %(reason)s") % {
            "username": username or _("(unknown)"), "course": course_key, "reason": reason,
        },
        learner_id=learner_id,
    )


def sync_failed(organization, reason):
    """Badge templates could not be read from Credly."""
    return record(
        organization,
        CredlyErrorLog.KIND_SYNC_FAILED,
        _("Template sync failed"),
        _("The badge templates of %(name)s could not be read from Credly: %(reason)s") % {
            "name": organization.name, "reason": reason,
        },
    )


def credential_expiring(organization, expires_at):
    """The organization's authorization token expires soon: warn before badges start failing."""
    return record(
        organization,
        CredlyErrorLog.KIND_CREDENTIAL_EXPIRING,
        _("Credentials expire soon"),
        _(
            "The Credly authorization token of %(name)s expires on %(when)s UTC. Create a new token on Credly "
            "and enter it in the admin before then, or badges will wait from that day on."
        ) % {"name": organization.name, "when": expires_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M")},
    )
