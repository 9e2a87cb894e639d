"""
Sending one queued badge to Credly, exactly once.

``deliver(badge_id)`` is what the Celery task runs. Exactly-once rests on three things:

1. the row is *claimed* by a conditional update before any HTTP call, so two workers
   (a redelivered message, the queue sweeper, a manual retry) never send it together;
   a claim is a lease that runs out, so a worker killed mid-call does not hold the row
   forever;
2. Credly refuses a second badge of the same template for the same earner, and that
   refusal is read as "already issued": the existing badge is looked up and recorded;
3. for templates that allow duplicates, a retry after an unclear failure (timeout,
   5xx) first looks on Credly for the badge the failed attempt may have created.
"""
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta, timezone as dt_timezone

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from openedx_credly import errorlog, safe_urls
from openedx_credly.awarding import split_name
from openedx_credly.connections import client_for
from openedx_credly.credly import (
    CredlyAuthenticationError,
    CredlyCredentialError,
    CredlyDuplicateBadgeError,
    CredlyError,
    CredlyNotFoundError,
    CredlyRateLimitError,
    CredlyTransientError,
    CredlyValidationError,
)
from openedx_credly.models import CredlyErrorLog, CredlyOrganization, IssuedBadge
from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)

ISSUED_AT_FORMAT = "%Y-%m-%d %H:%M:%S %z"
CREDLY_LOCALES = {"en", "fr", "de", "ko", "ja", "zh-CN", "pt", "es-ES", "es-US", "fr-CA", "pt-BR"}


@dataclass(frozen=True)
class Delivery:
    """What became of one attempt: ``retry_in`` seconds, or None when nothing is left to do now."""

    outcome: str
    retry_in: float = None


def claim_lease():
    """How long a claim holds: well past the longest HTTP exchange of one attempt."""
    return timedelta(seconds=max(60, 4 * float(settings.CREDLY_REQUEST_TIMEOUT)))


def claim(badge_id, now):
    """
    Take the row for this worker, counting the attempt; returns the claim token, or None
    if it is not ours to send. An attempt that ends without asking Credly gives the
    count back when it releases the row.
    """
    token = uuid.uuid4().hex
    claimed = IssuedBadge.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), pk=badge_id, state=IssuedBadge.STATE_QUEUED,
    ).update(claimed_until=now + claim_lease(), claim_token=token, last_attempt_at=now, modified=now,
             attempts=F("attempts") + 1)
    return token if claimed else None


def _owned(badge_id, token):
    return IssuedBadge.objects.filter(pk=badge_id, claim_token=token)


def _release(badge_id, token, **fields):
    """Give the row up, still queued, recording what happened."""
    return _owned(badge_id, token).update(claimed_until=None, claim_token="", modified=timezone.now(), **fields)


def _locale():
    language = (settings.LANGUAGE_CODE or "en").replace("_", "-")
    if language in CREDLY_LOCALES:
        return language
    base = language.split("-")[0]
    return base if base in CREDLY_LOCALES else None


def issuer_earner_id(user_id):
    """Our stable id for the learner on Credly; it survives an email change."""
    return f"{settings.CREDLY_ISSUER_EARNER_ID_PREFIX}{user_id}"


def format_issued_at(moment):
    """Credly's ``issued_at`` format, in UTC."""
    return moment.astimezone(dt_timezone.utc).strftime(ISSUED_AT_FORMAT)


def build_payload(badge):
    """The JSON body of ``POST organizations/{org}/badges`` for ``badge``."""
    first_name, last_name = split_name(badge.recipient_name, badge.user.username)
    payload = {
        "recipient_email": badge.recipient_email,
        "issued_to_first_name": first_name,
        "issued_to_last_name": last_name,
        "badge_template_id": badge.template.template_id,
        "issued_at": format_issued_at(badge.earned_at),
        "issuer_earner_id": issuer_earner_id(badge.user_id),
        "suppress_badge_notification_email": bool(settings.CREDLY_SUPPRESS_BADGE_NOTIFICATION_EMAIL),
    }
    locale = _locale()
    if locale:
        payload["locale"] = locale
    if badge.expires_at:  # from the course mapping's expires_in_months (award_rules.expires_at)
        payload["expires_at"] = format_issued_at(badge.expires_at)
    if badge.course_id:
        course_url = get_platform().get_course_url(badge.course_id)
        if course_url:
            course_name = get_platform().get_course_names([badge.course_id]).get(str(badge.course_id))
            payload["evidence"] = [{
                "type": "UrlEvidence",
                "name": course_name or str(badge.course_id),
                "value": course_url,
                "description": _("Completed the course %(course)s.") % {"course": course_name or badge.course_id},
            }]
    return payload


def credly_fields(data):
    """The ``IssuedBadge`` fields that an issued-badge object from Credly sets."""
    state = data.get("state")
    fields = {
        "credly_badge_id": str(data.get("id") or ""),
        "accept_url": data.get("accept_badge_url") or "",
        "badge_url": data.get("badge_url") or "",
        "image_url": data.get("image_url") or (data.get("image") or {}).get("url") or "",
    }
    safe_urls.clean(fields, "accept_url", "badge_url", "image_url")
    if state in IssuedBadge.ON_CREDLY_STATES:
        fields["state"] = state
    for field, key in (("issued_at", "issued_at"), ("state_updated_at", "state_updated_at"),
                       ("expires_at", "expires_at")):
        value = data.get(key)
        if value:
            parsed = parse_datetime(str(value).replace(" +", "+").replace(" -", "-").replace(" ", "T", 1))
            if parsed:
                fields[field] = parsed
    return fields


def find_existing(client, badge):
    """The badge Credly already holds for this achievement, or None."""
    earner_id = issuer_earner_id(badge.user_id)
    candidates = client.iter_badges(filters={
        "recipient_email": badge.recipient_email,
        "badge_template_id": badge.template.template_id,
    })
    fallback = None
    for data in candidates:
        if data.get("state") == IssuedBadge.STATE_REVOKED:
            continue
        if badge.template.allow_duplicate_badges:
            # Several badges of this template may exist: only the one of this achievement counts.
            if data.get("issuer_earner_id") == earner_id and str(data.get("issued_at", "")).startswith(
                format_issued_at(badge.earned_at)[:19]
            ):
                return data
            continue
        if data.get("issuer_earner_id") == earner_id:
            return data
        fallback = fallback or data
    return fallback


def _waiting_count(organization):
    return IssuedBadge.objects.filter(template__organization=organization, state=IssuedBadge.STATE_QUEUED).count()


def _connection_lost(organization, error):
    """Stop the organization's issuing until an operator reconnects; log it once."""
    reason = "forbidden" if not isinstance(error, CredlyAuthenticationError) else "unauthorized"
    first = CredlyOrganization.objects.filter(pk=organization.pk, connection_lost_at__isnull=True).update(
        connection_lost_at=timezone.now(), connection_lost_reason=reason,
    )
    if first:
        if isinstance(error, CredlyAuthenticationError):
            errorlog.connection_expired(organization, _waiting_count(organization))
        else:
            errorlog.permission_denied(organization, _waiting_count(organization))


# A sustained rate limit pauses issuing again and again: the error log says so once in this long.
RATE_LIMIT_LOG_INTERVAL = timedelta(minutes=15)


def _pause(organization, retry_after):
    """Pause the organization's issuing after a 429; log the first pause of a busy stretch only."""
    seconds = retry_after if retry_after is not None else settings.CREDLY_RATE_LIMIT_PAUSE
    now = timezone.now()
    until = now + timedelta(seconds=max(1.0, float(seconds)))
    first = CredlyOrganization.objects.filter(
        Q(issuing_paused_until__isnull=True) | Q(issuing_paused_until__lt=now), pk=organization.pk,
    ).update(issuing_paused_until=until)
    if not first:
        CredlyOrganization.objects.filter(pk=organization.pk, issuing_paused_until__lt=until).update(
            issuing_paused_until=until)
    elif not organization.error_log.filter(
        kind=CredlyErrorLog.KIND_RATE_LIMITED, created__gt=now - RATE_LIMIT_LOG_INTERVAL,
    ).exists():
        errorlog.rate_limited(organization, until)
    return until


def _after_pause(until, now=None):
    """
    Seconds from now until a paused organization may be called again.

    The pause end plus at most half a second of jitter: Credly's bucket refills while we
    wait, and every second slept past the pause is capacity lost for good, so the wait is
    not stretched by the (much longer) backoff of failed attempts.
    """
    return max(0.0, (until - (now or timezone.now())).total_seconds()) + random.uniform(0.05, 0.5)


def retry_delay(attempts):
    """Seconds before try ``attempts + 1``: exponential backoff with full jitter, capped."""
    return get_exponential_backoff_interval(
        factor=2, retries=attempts, maximum=int(settings.CREDLY_RETRY_BACKOFF_MAX), full_jitter=True,
    ) + 1


def _fail(badge, token, reason):
    _release(badge.pk, token, state=IssuedBadge.STATE_FAILED, last_error=reason[:2000], next_attempt_at=None)
    badge.state = IssuedBadge.STATE_FAILED
    errorlog.issuance_failed(badge, reason)
    return Delivery("failed")


def _record_issued(badge, token, data):
    updated = _owned(badge.pk, token).update(
        claimed_until=None, claim_token="", last_error="", next_attempt_at=None, modified=timezone.now(),
        **{"state": IssuedBadge.STATE_PENDING, **credly_fields(data)},
    )
    if updated:
        # What the update wrote, set in memory: a refresh would drop the user and template
        # loaded with the badge and cost three queries per badge sent.
        for field, value in {"state": IssuedBadge.STATE_PENDING, **credly_fields(data)}.items():
            setattr(badge, field, value)
        badge.claimed_until, badge.claim_token, badge.last_error, badge.next_attempt_at = None, "", "", None
        on_issued(badge)
    return Delivery("issued" if updated else "lost_claim")


def on_issued(badge):
    """Hook run once a badge exists on Credly (announces it to the platform)."""
    # Never raises: badge_events logs and swallows whatever goes wrong.
    from openedx_credly import badge_events  # pylint: disable=import-outside-toplevel

    badge_events.badge_awarded(badge)


def deliver(badge_id):
    """Send one queued badge; see the module docstring for why it is sent once."""
    now = timezone.now()
    token = claim(badge_id, now)
    if token is None:
        return Delivery("not_claimed")
    badge = IssuedBadge.objects.select_related("template__organization", "user").get(pk=badge_id)
    organization = badge.template.organization

    blocked = organization.issuing_blocked_reason(now)
    if blocked == "rate_limited":
        delay = _after_pause(organization.issuing_paused_until, now)
        _release(badge.pk, token, attempts=F("attempts") - 1, next_attempt_at=now + timedelta(seconds=delay))
        return Delivery("paused", retry_in=delay)
    if blocked:
        # Waits, still queued, until the organization is reconnected or reactivated.
        _release(badge.pk, token, attempts=F("attempts") - 1, next_attempt_at=None)
        return Delivery("waiting_for_operator")

    client = client_for(organization)
    # The claim counted this attempt: more than one means an earlier one may have reached Credly.
    previous_attempt_unclear = badge.attempts > 1 and badge.template.allow_duplicate_badges
    try:
        if previous_attempt_unclear:
            existing = find_existing(client, badge)
            if existing:
                return _record_issued(badge, token, existing)
        data = client.issue_badge(build_payload(badge))
        return _record_issued(badge, token, data)
    except CredlyDuplicateBadgeError:
        return _record_duplicate(client, badge, token)
    except CredlyRateLimitError as error:
        until = _pause(organization, error.retry_after)
        delay = _after_pause(until)
        # A refused request created nothing: it does not count as an attempt.
        _release(badge.pk, token, attempts=F("attempts") - 1, next_attempt_at=timezone.now() + timedelta(seconds=delay))
        return Delivery("rate_limited", retry_in=delay)
    except CredlyCredentialError as error:
        _connection_lost(organization, error)
        _release(badge.pk, token, attempts=F("attempts") - 1, next_attempt_at=None,
                 last_error=_("Credly refused the organization's credentials."))
        return Delivery("waiting_for_operator")
    except CredlyNotFoundError as error:
        return _fail(badge, token, _("Credly does not know the organization or the badge template (%(message)s).")
                     % {"message": error.message})
    except CredlyValidationError as error:
        return _fail(badge, token, _("Credly refused the badge: %(message)s") % {"message": error.message})
    except (CredlyTransientError, CredlyError) as error:
        return _transient(badge, token, error)


def _record_duplicate(client, badge, token):
    """Credly already holds this badge: record it, this is not a failure."""
    try:
        existing = find_existing(client, badge)
    except CredlyError as error:
        return _transient(badge, token, error)
    if existing:
        return _record_issued(badge, token, existing)
    return _fail(badge, token, _("Credly says the learner already has this badge, but it could not be found."))


def _transient(badge, token, error):
    """Credly trouble: retry with exponential backoff and jitter, up to CREDLY_MAX_ATTEMPTS."""
    reason = _("Credly could not be reached or answered with an error (%(message)s).") % {
        "message": getattr(error, "message", "") or error.__class__.__name__
    }
    if badge.attempts >= int(settings.CREDLY_MAX_ATTEMPTS):
        return _fail(badge, token, _("%(reason)s Gave up after %(attempts)s attempts.") % {
            "reason": reason, "attempts": badge.attempts})
    delay = retry_delay(badge.attempts)
    _release(badge.pk, token, last_error=reason, next_attempt_at=timezone.now() + timedelta(seconds=delay))
    log.info("Credly badge %s: attempt %s failed (%s); retrying in %.0f s.", badge.pk, badge.attempts, reason, delay)
    return Delivery("retry", retry_in=delay)
