"""
Sending one queued badge to Credly, and the mapping between our rows and Credly's fields.

``deliver(badge_id)`` is what the Celery task runs: it claims the badge's current
issuance, looks on Credly first when an earlier attempt's outcome is unclear, POSTs,
and records the answer, each step a transition of ``openedx_credly.issuance``.
``build_payload`` (what we send) and ``credly_fields`` (what we keep of Credly's
answer) are the one place where our fields meet Credly's.
"""
import logging
import random
import re
from dataclasses import dataclass
from datetime import timedelta
from datetime import timezone as dt_timezone

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from openedx_credly import badge_events, errorlog, issuance, safe_urls
from openedx_credly.connections import UnreadableCredentialsError, client_for
from openedx_credly.credly import (
    CredlyAuthenticationError,
    CredlyCredentialError,
    CredlyDuplicateBadgeError,
    CredlyError,
    CredlyNotFoundError,
    CredlyRateLimitError,
    CredlyValidationError,
)
from openedx_credly.models import BadgeIssuance, CredlyErrorLog, CredlyOrganization, IssuedBadge
from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)

ISSUED_AT_FORMAT = "%Y-%m-%d %H:%M:%S %z"
CREDLY_LOCALES = {"en", "fr", "de", "ko", "ja", "zh-CN", "pt", "es-ES", "es-US", "fr-CA", "pt-BR"}
# What a Credly badge id looks like (a UUID on Credly); anything else is not an id we can keep.
BADGE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Delivery:
    """What became of one attempt: ``retry_in`` seconds, or None when nothing is left to do now."""

    outcome: str
    retry_in: float = None


def _locale():
    """The site's language as one of Credly's locales, or None when Credly has none close to it."""
    language = (settings.LANGUAGE_CODE or "en").replace("_", "-")
    if language in CREDLY_LOCALES:
        return language
    base = language.split("-")[0]
    return base if base in CREDLY_LOCALES else None


# ---------------------------------------------------------------- our fields and Credly's


def split_name(full_name, username):
    """
    First and last name for Credly, which refuses empty ones.

    "Ada King Lovelace" gives ("Ada", "King Lovelace"); a one-word name is kept as the
    first name with the username as last name; no name at all uses the username twice.
    """
    parts = (full_name or "").split()
    if len(parts) >= 2:
        return parts[0], " ".join(parts[1:])
    if len(parts) == 1:
        return parts[0], username or parts[0]
    return username, username


def issuer_earner_id(user_id):
    """Our stable id for the learner on Credly; it survives an email change."""
    return f"{settings.CREDLY_ISSUER_EARNER_ID_PREFIX}{user_id}"


def format_issued_at(moment):
    """Credly's ``issued_at`` format, in UTC."""
    return moment.astimezone(dt_timezone.utc).strftime(ISSUED_AT_FORMAT)


def parse_credly_time(value):
    """
    An instant from Credly: ISO 8601 as Credly answers (``2026-11-25T10:00:00.000Z``) or the
    format we send (``2026-11-25 10:00:00 +0000``); None when unreadable.
    """
    if not value:
        return None
    text = str(value).strip().replace(" +", "+").replace(" -", "-").replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = parse_datetime(text)
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt_timezone.utc)
    return parsed


def valid_badge_id(value):
    """The Credly badge id in ``value`` when it is one, else ``""``."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if BADGE_ID_RE.match(text) else ""


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
        "credly_badge_id": valid_badge_id(data.get("id")),
        "accept_url": data.get("accept_badge_url") or "",
        "badge_url": data.get("badge_url") or "",
        "image_url": data.get("image_url") or (data.get("image") or {}).get("url") or "",
    }
    safe_urls.clean(fields, "accept_url", "badge_url", "image_url")
    if state in IssuedBadge.ON_CREDLY_STATES:
        fields["state"] = state
    for field, key in (("issued_at", "issued_at"), ("state_updated_at", "state_updated_at"),
                       ("expires_at", "expires_at")):
        parsed = parse_credly_time(data.get(key))
        if parsed:
            fields[field] = parsed
    return fields


def issued_for(data, badge):
    """
    Whether Credly's badge ``data`` is the one we issued for the achievement ``badge``: our
    ``issuer_earner_id`` and ``issued_at`` the moment it was earned, compared as an instant
    (Credly answers ISO 8601, we send another format). What tells apart the badges of a
    template that allows duplicates.
    """
    return (data.get("issuer_earner_id") == issuer_earner_id(badge.user_id)
            and parse_credly_time(data.get("issued_at")) == badge.earned_at.replace(microsecond=0))


def find_existing(client, badge):
    """
    The badge Credly already holds for this achievement, or None.

    Matched on our ``issuer_earner_id`` and the template first; for a template that allows
    duplicates, only ``issued_for`` the achievement. Revoked badges, and badges another of
    our rows holds, never match.
    """
    earner_id = issuer_earner_id(badge.user_id)
    client.max_pages = issuance.LOOKUP_MAX_PAGES
    taken = set(
        IssuedBadge.objects.filter(template=badge.template, user_id=badge.user_id)
        .exclude(pk=badge.pk).exclude(credly_badge_id="").values_list("credly_badge_id", flat=True)
    )
    fallback = None
    for data in client.iter_badges(filters={
        "recipient_email": badge.recipient_email,
        "badge_template_id": badge.template.template_id,
    }):
        badge_id = valid_badge_id(data.get("id"))
        if not badge_id or badge_id in taken or data.get("state") == IssuedBadge.STATE_REVOKED:
            continue
        if badge.template.allow_duplicate_badges:
            # Several badges of this template may exist: only the one of this achievement counts.
            if issued_for(data, badge):
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
    if isinstance(error, UnreadableCredentialsError):
        reason = "undecryptable"
    elif isinstance(error, CredlyAuthenticationError):
        reason = "unauthorized"
    else:
        reason = "forbidden"
    first = CredlyOrganization.objects.filter(pk=organization.pk, connection_lost_at__isnull=True).update(
        connection_lost_at=timezone.now(), connection_lost_reason=reason,
    )
    if first:
        if reason == "undecryptable":
            errorlog.credentials_unreadable(organization, _waiting_count(organization))
        elif reason == "unauthorized":
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


def on_issued(badge):
    """Hook run once a badge exists on Credly (announces it to the platform)."""
    # Never raises: badge_events logs and swallows whatever goes wrong.
    badge_events.badge_awarded(badge)


class _Attempt:
    """One claimed attempt at a badge's current issuance: the rows, the client and the claim token."""

    def __init__(self, badge, current, token):
        self.badge, self.issuance, self.token = badge, current, token
        self.organization = badge.template.organization
        self.posted = False  # begin_post counted a POST

    def release(self, outcome, retry_in=None, refused=False, **fields):
        """Give the issuance up, still queued, to be tried again in ``retry_in`` seconds (or when enqueued)."""
        next_attempt_at = timezone.now() + timedelta(seconds=retry_in) if retry_in is not None else None
        issuance.release(self.issuance.pk, self.token, next_attempt_at=next_attempt_at,
                         refused=refused and self.posted, **fields)
        return Delivery(outcome, retry_in=retry_in)

    def fail(self, reason, outcome_known=False):
        """The issuance fails; the error log says why."""
        if issuance.fail(self.issuance.pk, self.token, reason, outcome_known=outcome_known and self.posted):
            self.badge.state = IssuedBadge.STATE_FAILED
            errorlog.issuance_failed(self.badge, reason)
            return Delivery("failed")
        return Delivery("lost_claim")

    def record(self, data, client=None):
        """Credly answered with a badge: record it if it has a usable id; else the outcome stays unclear."""
        fields = credly_fields(data)
        if not fields["credly_badge_id"]:
            return self.unclear(_("Credly answered without a usable badge id."))
        if issuance.record_issued(self.issuance.pk, fields):
            for field, value in fields.items():
                setattr(self.badge, field, value)
            self.badge.state = fields.get("state", IssuedBadge.STATE_PENDING)
            on_issued(self.badge)
            return Delivery("issued")
        return self._record_refused(fields, client)

    def _record_refused(self, fields, client):
        """The issuance moved on while we were sending: it was revoked, or someone recorded the badge."""
        now_state = BadgeIssuance.objects.filter(pk=self.issuance.pk).values_list(
            "state", "credly_badge_id").first()
        if now_state and now_state[0] == IssuedBadge.STATE_REVOKED and client is not None:
            if now_state[1] == fields["credly_badge_id"]:
                return Delivery("revoked_meanwhile")  # the revocation found this very badge and revoked it
            # Taken back while our POST was on its way: the badge Credly just made must not stay.
            try:
                client.revoke_badge(fields["credly_badge_id"], reason=_(
                    "The achievement that earned this badge was taken back while the badge was being issued."))
            except CredlyValidationError as error:
                if "already" not in (error.message or "").lower():
                    self._revoke_failed(fields, error)
            except CredlyError as error:
                self._revoke_failed(fields, error)
            return Delivery("revoked_meanwhile")
        if now_state and now_state[1] and now_state[1] != fields["credly_badge_id"]:
            log.error("Credly badge %s: a second badge %s was created on Credly for the same achievement.",
                      self.badge.pk, fields["credly_badge_id"])
        return Delivery("lost_claim")

    def _revoke_failed(self, fields, error):
        """The badge a late POST made could not be revoked: an operator must do it."""
        errorlog.record(
            self.organization, CredlyErrorLog.KIND_REVOKE_FAILED, _("Badge revocation failed"),
            _("A badge of %(email)s was created on Credly (id %(id)s) after its achievement was taken "
              "back, and could not be revoked: %(message)s. Revoke it on Credly by hand.") % {
                "email": self.badge.recipient_email, "id": fields["credly_badge_id"],
                "message": error.message or error.__class__.__name__},
            badge=self.badge)

    def unclear(self, reason):
        """No readable answer: Credly may hold the badge; the next attempt looks first."""
        attempts = type(self.issuance).objects.filter(pk=self.issuance.pk).values_list(
            "attempts", "attempts_allowed").first() or (0, 0)
        allowed = attempts[1] or issuance.attempts_allowed()
        if attempts[0] >= allowed:
            return self.fail(_("%(reason)s Gave up after %(attempts)s attempts.") % {
                "reason": reason, "attempts": attempts[0]})
        delay = retry_delay(attempts[0])
        log.info("Credly badge %s: attempt %s failed (%s); retrying in %.0f s.", self.badge.pk, attempts[0], reason,
                 delay)
        return self.release("retry", retry_in=delay, last_error=reason)


def deliver(badge_id):
    """Send one queued badge: claim its current issuance, look first if unclear, POST, record the answer."""
    now = timezone.now()
    current = issuance.current(badge_id)
    token = issuance.claim(current.pk, now) if current is not None else None
    if token is None:
        return Delivery("not_claimed")
    current.refresh_from_db()
    badge = IssuedBadge.objects.select_related("template__organization", "user").get(pk=badge_id)
    attempt = _Attempt(badge, current, token)
    organization = attempt.organization

    blocked = organization.issuing_blocked_reason(now)
    if blocked == "rate_limited":
        return attempt.release("paused", retry_in=_after_pause(organization.issuing_paused_until, now))
    if blocked:
        # Waits, still queued, until the organization is reconnected or reactivated.
        return attempt.release("waiting_for_operator")
    client = None
    try:
        client = client_for(organization)
        if current.outcome_unclear:
            existing = find_existing(client, badge)
            if existing:
                return attempt.record(existing, client)
        if not issuance.begin_post(current.pk, token):
            return Delivery("lost_claim")
        attempt.posted = True
        data = client.issue_badge(build_payload(badge))
        return attempt.record(data, client)
    except CredlyDuplicateBadgeError:
        return _record_duplicate(attempt, client)
    except CredlyRateLimitError as error:
        until = _pause(organization, error.retry_after)
        # A refused request created nothing.
        return attempt.release("rate_limited", retry_in=_after_pause(until), refused=True)
    except CredlyCredentialError as error:
        _connection_lost(organization, error)
        if isinstance(error, UnreadableCredentialsError):  # nothing was sent
            return attempt.release("waiting_for_operator", last_error=_("The stored credentials cannot be decrypted."))
        return attempt.release("waiting_for_operator", refused=True,
                               last_error=_("Credly refused the organization's credentials."))
    except CredlyNotFoundError as error:
        return attempt.fail(_("Credly does not know the organization or the badge template (%(message)s).")
                            % {"message": error.message}, outcome_known=True)
    except CredlyValidationError as error:
        return attempt.fail(_("Credly refused the badge: %(message)s") % {"message": error.message},
                            outcome_known=True)
    except CredlyError as error:
        return attempt.unclear(_("Credly could not be reached or answered with an error (%(message)s).") % {
            "message": getattr(error, "message", "") or error.__class__.__name__})


def _record_duplicate(attempt, client):
    """Credly already holds this badge: record it, this is not a failure."""
    try:
        existing = find_existing(client, attempt.badge)
    except CredlyError as error:
        return attempt.unclear(_("Credly could not be reached to find the badge it already holds (%(message)s).")
                               % {"message": error.message or error.__class__.__name__})
    if existing:
        return attempt.record(existing, client)
    return attempt.fail(_("Credly says the learner already has this badge, but it could not be found."))
