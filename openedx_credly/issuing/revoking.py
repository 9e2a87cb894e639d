"""
Revoking badges on Credly when the platform takes the achievement back.

A revoked certificate revokes the course's badge only when the course's mapping
asks for it (``revoke_on_certificate_revoked``, off by default). The receiver only
finds the badges and schedules ``revoke_badge`` after commit; the task talks to
Credly, retries Credly trouble with backoff, and hides the badge from the learner's
panel once Credly confirms. The sweeper re-drives a revocation whose message was lost
or whose retries gave up (``issuance.revocations_due``); until it is done, the badge is
never sent. A badge that never reached Credly is simply never sent
(after a look on Credly, when an earlier attempt's outcome is unclear). A certificate
granted again later starts a new issuance (``issuance.grant_again``).
"""
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openedx_credly import errorlog
from openedx_credly.credly import CredlyError, CredlyNotFoundError, CredlyRateLimitError, CredlyValidationError
from openedx_credly.credly.connections import client_for
from openedx_credly.issuing import credly_records, issuance, scheduling
from openedx_credly.issuing.credly_records import credly_fields, find_existing
from openedx_credly.issuing.retrying import Delivery, rate_limit_wait, retry_delay
from openedx_credly.models import BadgeIssuance, CourseBadgeTemplate, CredlyErrorLog, IssuedBadge
from openedx_credly.models.rules import expires_at

log = logging.getLogger(__name__)

# A badge being sent by a worker right now is revoked once the worker is done.
BUSY_RETRY_SECONDS = 60
# A revocation Credly refused, or whose retries gave up, is tried again by the sweeper this much later.
FAILED_REVOCATION_RETRY_SECONDS = 24 * 3600


def certificate_revoked_reason():
    """The reason Credly shows the earner, in our words."""
    return _("The course certificate that earned this badge was revoked, so the badge was withdrawn.")


def revoke_for_certificate(user_id, course_key, metadata):  # pylint: disable=unused-argument
    """
    The learner's certificate in ``course_key`` was revoked.

    Enqueues, after commit, the revocation of the badges of the course's mappings that
    ask for it; returns their ids. No network here: this runs in a platform receiver.
    """
    badge_ids = list(
        IssuedBadge.objects.filter(
            user_id=user_id,
            course_id=course_key,
            # One filter() call: both conditions hold for the same mapping row.
            template__course_mappings__course_id=course_key,
            template__course_mappings__revoke_on_certificate_revoked=True,
        )
        # Revoked badges too: one our lost-answer revocation revoked while the achievement was
        # granted again must not be granted again now (issuance.request_revocation).
        .exclude(state=IssuedBadge.STATE_REJECTED)
        .values_list("pk", flat=True)
        .distinct()
    )
    with transaction.atomic():  # a savepoint of its own: this runs inside the platform's transaction
        badge_ids = issuance.request_revocation(badge_ids)
    schedule_revocation(badge_ids)
    return badge_ids


def schedule_revocation(badge_ids):
    """Enqueue the revoking task for each badge once the current transaction commits."""
    scheduling.after_commit(scheduling.REVOKE_BADGE, badge_ids)


def revoke(badge_id, attempt=0):
    """
    Revoke one badge on Credly (or locally, if it never got there); see the module docstring.

    A revocation that must wait is deferred on its issuance, so the sweeper re-drives it when
    due (its message lost, or its retries given up) and not before.
    """
    try:
        delivery = _revoke(badge_id, attempt)
    except Exception:  # pylint: disable=broad-except
        # Not Credly's trouble (a bug, bad data such as a retired learner's blank address): the sweeper must
        # not re-drive it every few minutes; it is tried again a day later, and an operator sees why.
        log.exception("Revoking Credly badge %s stopped on an unexpected error.", badge_id)
        delivery = Delivery("failed")
    if delivery.retry_in is not None or delivery.outcome == "failed":
        current_id = IssuedBadge.objects.filter(pk=badge_id).values_list("current_issuance_id", flat=True).first()
        if current_id:
            wait = delivery.retry_in if delivery.retry_in is not None else FAILED_REVOCATION_RETRY_SECONDS
            issuance.defer_revocation(current_id, wait)
    return delivery


def _revoke(badge_id, attempt):
    """The work of ``revoke``."""
    badge = IssuedBadge.objects.select_related("template__organization", "user").filter(pk=badge_id).first()
    if badge is None or badge.state == IssuedBadge.STATE_REJECTED:
        return Delivery("nothing_to_do")
    if badge.state == IssuedBadge.STATE_REVOKED:
        # Read from Credly before we heard our answer (a webhook, the refresh): granted again meanwhile?
        return _granted_again_meanwhile(badge, "nothing_to_do")
    reason = certificate_revoked_reason()
    organization = badge.template.organization
    if not badge.current_issuance_id or not issuance.revocation_requested(badge.current_issuance_id):
        return _withdrawn(badge, attempt)  # granted again before we got here
    platform = BadgeIssuance.REVOKED_BY_PLATFORM
    try:
        if badge.state in (IssuedBadge.STATE_QUEUED, IssuedBadge.STATE_FAILED) or not badge.credly_badge_id:
            outcome = _stop_unsent(badge, reason)
            if outcome is not None:
                return outcome
            badge.refresh_from_db()
        if not issuance.begin_revoke(badge.current_issuance_id):
            return Delivery("withdrawn")
        data = client_for(organization).revoke_badge(badge.credly_badge_id, reason=reason)
    except CredlyNotFoundError:
        credly_records.mark_gone(badge, _("Credly no longer has this badge."), because=platform)
        return _done(badge, "gone")
    except CredlyValidationError as error:
        if "already" in (error.message or "").lower():
            credly_records.mark_gone(badge, reason, because=platform)
            return _done(badge, "already_revoked")
        _log_failure(badge, error.message)
        return Delivery("failed")
    except CredlyRateLimitError as error:
        return Delivery("rate_limited", retry_in=rate_limit_wait(error.retry_after) + retry_delay(0))
    except CredlyError as error:
        log.info("Revoking Credly badge %s failed (%s); retrying.", badge.pk, error.message or error.__class__.__name__)
        return Delivery("retry", retry_in=retry_delay(attempt))
    credly_records.apply_credly_badge(badge, {**data, "state": IssuedBadge.STATE_REVOKED}, revoked_because=platform)
    return _done(badge, "revoked")


def _withdrawn(badge, attempt):
    """
    The achievement was granted again before the revocation was done. If our revocation was
    already sent (its answer lost), Credly may have revoked the badge: look, and if so, the
    badge is granted again.
    """
    if not badge.current_issuance_id or not badge.credly_badge_id \
            or not issuance.revocation_sent(badge.current_issuance_id):
        return Delivery("withdrawn")
    try:
        data = client_for(badge.template.organization).get_badge(badge.credly_badge_id)
    except CredlyNotFoundError:
        credly_records.mark_gone(badge, _("Credly no longer has this badge."),
                                 because=BadgeIssuance.REVOKED_BY_PLATFORM)
        return _granted_again_meanwhile(badge, "withdrawn")
    except CredlyError as error:
        log.info("Reading Credly badge %s failed (%s); retrying.", badge.pk, error.message or error.__class__.__name__)
        return Delivery("retry", retry_in=retry_delay(attempt))
    if data.get("state") == IssuedBadge.STATE_REVOKED:
        credly_records.apply_credly_badge(badge, data, revoked_because=BadgeIssuance.REVOKED_BY_PLATFORM)
        return _granted_again_meanwhile(badge, "withdrawn")
    return Delivery("withdrawn")


def _granted_again_meanwhile(badge, outcome):
    """A badge our revocation revoked while its achievement was granted again: a new issuance sends it again."""
    badge.refresh_from_db()
    if badge.current_issuance_id and issuance.granted_again_after_revocation(badge.current_issuance_id):
        return _done(badge, outcome)
    return Delivery(outcome)


def _done(badge, outcome):
    """The badge is revoked; if the achievement was granted again meanwhile, a new issuance sends it again."""
    badge.refresh_from_db()
    now = timezone.now()
    if badge.current_issuance_id and not issuance.revocation_requested(badge.current_issuance_id) \
            and issuance.grant_again(badge.pk, now, expires_at=_expires_at(badge, now)):
        scheduling.after_commit(scheduling.ISSUE_BADGE, [badge.pk])
        return Delivery(f"{outcome}_then_granted_again")
    return Delivery(outcome)


def _expires_at(badge, earned_at):
    """When a badge granted again at ``earned_at`` expires, by its course mapping's rule now."""
    months = CourseBadgeTemplate.objects.filter(course_id=badge.course_id, template_id=badge.template_id).values_list(
        "expires_in_months", flat=True).first() if badge.course_id else None
    return expires_at(earned_at, months)


def _stop_unsent(badge, reason):
    """
    Stop a badge that has no Credly id yet; None when Credly turns out to hold it (revoke that).

    When an attempt's outcome is unclear, Credly is asked first: the badge it may have
    created is recorded, then revoked like any other.
    """
    current = issuance.current(badge.pk)
    if current is None:
        return Delivery("nothing_to_do")
    attempts_seen = None
    if current.outcome_unclear:
        existing = find_existing(client_for(badge.template.organization), badge)
        if existing and issuance.record_issued(current.pk, credly_fields(existing), adopt=True):
            return None
        attempts_seen = current.attempts
    if issuance.cancel_unsent(current.pk, reason, attempts_seen=attempts_seen):
        # Never announced as awarded, so there is no BADGE_REVOKED to send either.
        return Delivery("never_sent")
    if not issuance.revocation_requested(current.pk):
        return Delivery("withdrawn")
    badge.refresh_from_db()
    if badge.credly_badge_id and badge.state != IssuedBadge.STATE_REVOKED:
        return None  # a worker recorded it meanwhile: revoke it on Credly
    return Delivery("busy", retry_in=BUSY_RETRY_SECONDS)


def _log_failure(badge, message):
    errorlog.record(
        badge.template.organization,
        CredlyErrorLog.KIND_REVOKE_FAILED,
        _("Badge revocation failed"),
        _('The badge "%(badge)s" of %(email)s could not be revoked on Credly after its certificate was revoked: '
          '%(message)s. Revoke it on Credly by hand.') % {
            "badge": badge.template.name, "email": badge.recipient_email or _("(no email)"),
            "message": message or _("no reason given"),
        },
        badge=badge,
    )


def give_up(badge_id, outcome):
    """The last retry failed: tell operators, in the error log, what to do by hand."""
    badge = IssuedBadge.objects.select_related("template__organization").filter(pk=badge_id).first()
    if badge is not None and badge.state != IssuedBadge.STATE_REVOKED:
        if badge.current_issuance_id:
            issuance.defer_revocation(badge.current_issuance_id, FAILED_REVOCATION_RETRY_SECONDS)
        _log_failure(badge, _("Credly could not be reached or refused our credentials (%(outcome)s)")
                     % {"outcome": outcome})
