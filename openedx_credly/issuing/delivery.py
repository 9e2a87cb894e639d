"""
Sending one queued badge to Credly.

``deliver(badge_id)`` is what the Celery task runs: it claims the badge's current
issuance, looks on Credly first when an earlier attempt's outcome is unclear, POSTs,
and records the answer, each step a transition of ``openedx_credly.issuing.issuance``.
``build_payload`` is what we send; what we keep of Credly's answer, and how a badge
is found on Credly, is ``credly_records``'s.
"""
import logging
import random
from datetime import timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from openedx_credly import errorlog
from openedx_credly.credly import (
    CredlyAuthenticationError,
    CredlyCredentialError,
    CredlyDuplicateBadgeError,
    CredlyError,
    CredlyNotFoundError,
    CredlyRateLimitError,
    CredlyValidationError,
)
from openedx_credly.credly.connections import UnreadableCredentialsError, client_for
from openedx_credly.issuing import badge_events, issuance
from openedx_credly.issuing.credly_records import credly_fields, find_existing, issuer_earner_id
from openedx_credly.issuing.retrying import Delivery, rate_limit_wait, retry_after_capped, retry_delay
from openedx_credly.models import BadgeIssuance, CredlyErrorLog, CredlyOrganization, IssuedBadge
from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)

ISSUED_AT_FORMAT = "%Y-%m-%d %H:%M:%S %z"
CREDLY_LOCALES = {"en", "fr", "de", "ko", "ja", "zh-CN", "pt", "es-ES", "es-US", "fr-CA", "pt-BR"}


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
    if badge.expires_at:  # from the course mapping's expires_in_months (models.rules.expires_at)
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
    """Pause the organization's issuing after a 429 (at most the cap); log the first pause of a busy stretch only."""
    seconds = rate_limit_wait(retry_after)
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    first = CredlyOrganization.objects.filter(
        Q(issuing_paused_until__isnull=True) | Q(issuing_paused_until__lt=now), pk=organization.pk,
    ).update(issuing_paused_until=until)
    if not first:
        CredlyOrganization.objects.filter(pk=organization.pk, issuing_paused_until__lt=until).update(
            issuing_paused_until=until)
    elif not organization.error_log.filter(
        kind=CredlyErrorLog.KIND_RATE_LIMITED, created__gt=now - RATE_LIMIT_LOG_INTERVAL,
    ).exists():
        errorlog.rate_limited(organization, until, asked=retry_after if retry_after_capped(retry_after) else None)
    return until


def _after_pause(until, now=None):
    """
    Seconds from now until a paused organization may be called again.

    The pause end plus at most half a second of jitter: Credly's bucket refills while we
    wait, and every second slept past the pause is capacity lost for good, so the wait is
    not stretched by the (much longer) backoff of failed attempts.
    """
    return max(0.0, (until - (now or timezone.now())).total_seconds()) + random.uniform(0.05, 0.5)


def on_issued(badge):
    """Hook run once a badge exists on Credly (announces it to the platform)."""
    # Never raises: badge_events logs and swallows whatever goes wrong.
    badge_events.badge_awarded(badge)


class _Attempt:
    """One claimed attempt at a badge's current issuance: the rows, the client and the claim token."""

    def __init__(self, badge, current, token):
        self.badge, self.issuance, self.token = badge, current, token
        self.organization = badge.template.organization
        self.counted = False  # this attempt was counted (by its look-up or by begin_post)
        self.posted = False  # begin_post marked the POST

    def count(self):
        """Count this attempt once, whatever it calls first (a look-up, the POST)."""
        if not self.counted:
            self.counted = issuance.count_attempt(self.issuance.pk, self.token)

    def release(self, outcome, retry_in=None, refused=False, **fields):
        """
        Give the issuance up, still queued, to be tried again in ``retry_in`` seconds (or when enqueued).

        ``refused``: Credly refused the request before doing anything (401, 403, 429): the
        attempt is given back, and if it was the POST, nothing was created.
        """
        next_attempt_at = timezone.now() + timedelta(seconds=retry_in) if retry_in is not None else None
        issuance.release(self.issuance.pk, self.token, next_attempt_at=next_attempt_at,
                         refund=refused and self.counted, outcome_known=refused and self.posted, **fields)
        return Delivery(outcome, retry_in=retry_in)

    def stop_retired(self):
        """The learner retired while this issuance waited: nothing is sent for them, the issuance ends."""
        if issuance.fail(self.issuance.pk, self.token, issuance.RETIRED_REASON):
            log.info("Credly badge %s: not sent, the learner retired their account.", self.badge.pk)
            return Delivery("learner_retired")
        return Delivery("lost_claim")

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
        if issuance.held_elsewhere(self.issuance.pk, fields["credly_badge_id"]):
            log.error("Credly badge %s: Credly's badge %s is held by another row; not recorded twice.",
                      self.badge.pk, fields["credly_badge_id"])
            return self.unclear(_("Credly answered with a badge that another badge record holds."))
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
        attempts = BadgeIssuance.objects.filter(pk=self.issuance.pk).values_list(
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
    """
    Send one queued badge: claim its current issuance, look first if unclear, POST, record the answer.

    Whatever goes wrong inside an attempt, a bug or bad data included, counts as an attempt:
    it is retried with backoff and fails, in the error log, once the attempts run out.
    """
    now = timezone.now()
    current = issuance.current(badge_id)
    token = issuance.claim(current.pk, now) if current is not None else None
    if token is None:
        return Delivery("not_claimed")
    current.refresh_from_db()
    badge = IssuedBadge.objects.select_related("template__organization", "user").get(pk=badge_id)
    attempt = _Attempt(badge, current, token)
    try:
        return _send(attempt, now)
    except Exception as error:  # pylint: disable=broad-except
        # Not Credly's trouble (those are handled in _send): a bug, bad data, a lost database row.
        log.exception("Credly badge %s: the attempt stopped on an unexpected error.", badge_id)
        attempt.count()
        return attempt.unclear(_("The attempt stopped on an unexpected error (%(error)s).") % {
            "error": error.__class__.__name__})


def _send(attempt, now):
    """One claimed attempt of ``deliver``; Credly's errors are answered here, anything else by ``deliver``."""
    badge, current, organization = attempt.badge, attempt.issuance, attempt.organization
    if not badge.recipient_email:
        # Only retirement blanks the address (awarding refuses a learner without one).
        return attempt.stop_retired()
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
            attempt.count()  # a look-up is an attempt: a failing one backs off and fails
            existing = find_existing(client, badge)
            if existing:
                return attempt.record(existing, client)
        if not issuance.begin_post(current.pk, attempt.token, counted=attempt.counted):
            return Delivery("lost_claim")
        attempt.counted = attempt.posted = True
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
