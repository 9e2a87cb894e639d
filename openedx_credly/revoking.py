"""
Revoking badges on Credly when the platform takes the achievement back.

A revoked certificate revokes the course's badge only when the course's mapping
asks for it (``revoke_on_certificate_revoked``, off by default). The receiver only
finds the badges and enqueues ``tasks.revoke_badge`` after commit; the task talks to
Credly, retries Credly trouble with backoff, and hides the badge from the learner's
panel once Credly confirms. A badge that never reached Credly is simply never sent.
"""
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from openedx_credly import errorlog, refresh
from openedx_credly.connections import client_for
from openedx_credly.credly import (
    CredlyCredentialError,
    CredlyError,
    CredlyNotFoundError,
    CredlyRateLimitError,
    CredlyTransientError,
    CredlyValidationError,
)
from openedx_credly.issuing import Delivery, retry_delay
from openedx_credly.models import CredlyErrorLog, IssuedBadge

log = logging.getLogger(__name__)

# A badge being sent by a worker right now is revoked once the worker is done.
BUSY_RETRY_SECONDS = 60


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
        .exclude(state__in=(IssuedBadge.STATE_REVOKED, IssuedBadge.STATE_REJECTED))
        .values_list("pk", flat=True)
        .distinct()
    )
    schedule_revocation(badge_ids)
    return badge_ids


def schedule_revocation(badge_ids):
    """Enqueue ``tasks.revoke_badge`` for each badge once the current transaction commits."""
    from openedx_credly import tasks  # pylint: disable=import-outside-toplevel

    tasks.enqueue_after_commit(tasks.revoke_badge, badge_ids)


def revoke(badge_id, attempt=0):
    """Revoke one badge on Credly (or locally, if it never got there); see the module docstring."""
    now = timezone.now()
    badge = IssuedBadge.objects.select_related("template__organization", "user").filter(pk=badge_id).first()
    if badge is None or badge.state in (IssuedBadge.STATE_REVOKED, IssuedBadge.STATE_REJECTED):
        return Delivery("nothing_to_do")
    reason = certificate_revoked_reason()

    if badge.state in (IssuedBadge.STATE_QUEUED, IssuedBadge.STATE_FAILED) or not badge.credly_badge_id:
        stopped = IssuedBadge.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), pk=badge.pk, state=badge.state,
        ).update(state=IssuedBadge.STATE_REVOKED, next_attempt_at=None, last_error=reason,
                 state_updated_at=now, modified=now)
        # Never announced as awarded, so there is no BADGE_REVOKED to send either.
        return Delivery("never_sent") if stopped else Delivery("busy", retry_in=BUSY_RETRY_SECONDS)

    organization = badge.template.organization
    try:
        data = client_for(organization).revoke_badge(badge.credly_badge_id, reason=reason)
    except CredlyNotFoundError:
        refresh.mark_gone(badge, _("Credly no longer has this badge."))
        return Delivery("gone")
    except CredlyValidationError as error:
        if "already" in (error.message or "").lower():
            refresh.mark_gone(badge, reason)
            return Delivery("already_revoked")
        _log_failure(badge, error.message)
        return Delivery("failed")
    except CredlyRateLimitError as error:
        seconds = error.retry_after if error.retry_after is not None else settings.CREDLY_RATE_LIMIT_PAUSE
        return Delivery("rate_limited", retry_in=max(1.0, float(seconds)) + retry_delay(0))
    except (CredlyCredentialError, CredlyTransientError, CredlyError) as error:
        log.info("Revoking Credly badge %s failed (%s); retrying.", badge.pk, error.message or error.__class__.__name__)
        return Delivery("retry", retry_in=retry_delay(attempt))
    refresh.apply_credly_badge(badge, {**data, "state": IssuedBadge.STATE_REVOKED})
    return Delivery("revoked")


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
        _log_failure(badge, _("Credly could not be reached or refused our credentials (%(outcome)s)")
                     % {"outcome": outcome})
