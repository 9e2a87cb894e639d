"""
Every way a ``BadgeIssuance`` changes state, and its ``IssuedBadge`` with it.

Each transition is one guarded UPDATE whose WHERE clause states its precondition
(state, claim token, "no Credly id yet") and returns whether it happened; the
``IssuedBadge`` is then updated to show its current issuance. Nothing else writes
these fields. The life of an issuance::

    queued --claim--> queued, claimed --begin_post--> queued, claimed, outcome unclear
       --record_issued--> pending / accepted (then rejected, revoked as Credly says)
       --fail--> failed --retry--> queued
    queued / failed --cancel_unsent--> revoked (never reached Credly)
    queued --stop_unsent--> failed (the learner retired their account)

``outcome_unclear`` is set before every POST and cleared only by an answer that was
read: while it is set, whoever sends next (task, sweeper, admin retry, command)
looks on Credly first. Every attempt that calls Credly counts once (``count_attempt``
for a look-up, ``begin_post`` for a POST), so a failing look-up backs off and fails
like a failing POST. A revoked achievement granted again gets a new issuance.

An issuance whose revocation is requested (``revoke_requested``) is never claimed for
sending; the revoking task, or the sweeper (``revocations_due``), revokes it, and
while the request stands, a revoked state read from Credly is the platform's.

One Credly badge is held by one ``IssuedBadge`` of an organization: ``HeldCredlyBadge``
(unique organization and id) is written with every id recorded, in the same transaction.

**Lock order.** A transition that changes both rows locks the ``BadgeIssuance`` first,
then the ``IssuedBadge`` (then ``HeldCredlyBadge``): the guarded UPDATE of the issuance
(or ``SELECT ... FOR UPDATE`` of it, in ``record_remote`` and ``mark_gone``, whose guard
is on the badge) comes before the badge's UPDATE. Two transitions on one badge then
wait for each other instead of deadlocking on MariaDB.
"""
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, Q, Value, When
from django.utils import timezone

from openedx_credly.credly.client import DEFAULT_TIMEOUT
from openedx_credly.models import BadgeIssuance, BadgeTemplate, CredlyOrganization, HeldCredlyBadge, IssuedBadge

log = logging.getLogger(__name__)

# Why a badge still queued when its learner retired is never sent (delivery and retirement write it).
RETIRED_REASON = "Not sent: the learner retired their account."

QUEUED = IssuedBadge.STATE_QUEUED
FAILED = IssuedBadge.STATE_FAILED
REVOKED = IssuedBadge.STATE_REVOKED
ON_CREDLY = IssuedBadge.ON_CREDLY_STATES

# Pages of issued badges read by one look-up on Credly (50 a page).
LOOKUP_MAX_PAGES = 4
# The most HTTP requests one attempt makes: an OAuth token, a look-up, the POST, a 401
# answered by a new token and the POST again, and the look-up after a duplicate refusal.
MAX_REQUESTS_PER_ATTEMPT = 1 + LOOKUP_MAX_PAGES + 3 + LOOKUP_MAX_PAGES
# Slack on top of the requests' own timeouts: database work, a slow DNS answer.
LEASE_MARGIN = timedelta(seconds=30)


def request_time_limit():
    """The longest one Credly request may take: its connect timeout plus its read timeout."""
    timeout = getattr(settings, "CREDLY_REQUEST_TIMEOUT", DEFAULT_TIMEOUT)
    if isinstance(timeout, (tuple, list)):
        return float(sum(float(part) for part in timeout))
    return 2 * float(timeout)


def lease():
    """How long a claim holds: the worst case of one attempt, every request timing out, and a margin."""
    return timedelta(seconds=MAX_REQUESTS_PER_ATTEMPT * request_time_limit()) + LEASE_MARGIN


def soft_time_limit():
    """The sending task's soft time limit: below the lease, so a stuck worker stops before it runs out."""
    return int(lease().total_seconds() - LEASE_MARGIN.total_seconds() / 2)


def attempts_allowed():
    """POSTs one round of attempts may make before the issuance fails."""
    return int(settings.CREDLY_MAX_ATTEMPTS)


def _unclaimed(now):
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _mirror(issuance_id, now, **fields):
    """Show the issuance's new state on its ``IssuedBadge`` (only while it is the current one)."""
    return IssuedBadge.objects.filter(current_issuance_id=issuance_id).update(**{"modified": now, **fields})


# ---------------------------------------------------------------- which issuance


def current(badge_id):
    """
    The current issuance of a badge, started (as number 1, or the next number) if the badge
    is queued without one; None for a badge that does not exist or has nothing to send.
    """
    row = IssuedBadge.objects.filter(pk=badge_id).values_list("state", "current_issuance_id").first()
    if row is None:
        return None
    state, current_id = row
    if current_id is None:
        if state != QUEUED:
            return None
        number = (BadgeIssuance.objects.filter(badge_id=badge_id).aggregate(last=Max("number"))["last"] or 0) + 1
        # One commit for the new row and the badge pointing at it (each commit is a disk sync on a busy site).
        with transaction.atomic():
            # The unique (badge, number) makes a second starter's insert a no-op; both then point at the one row.
            BadgeIssuance.objects.bulk_create(
                [BadgeIssuance(badge_id=badge_id, number=number, attempts_allowed=attempts_allowed())],
                ignore_conflicts=True,
            )
            started = BadgeIssuance.objects.filter(badge_id=badge_id, number=number).values_list(
                "pk", flat=True).first()
            pointed = IssuedBadge.objects.filter(pk=badge_id, state=QUEUED, current_issuance__isnull=True).update(
                current_issuance_id=started)
        # Another starter (or a state change) may have been first: then read where the badge points.
        current_id = started if pointed else IssuedBadge.objects.filter(pk=badge_id).values_list(
            "current_issuance_id", flat=True).first()
    return BadgeIssuance.objects.filter(pk=current_id).first() if current_id else None


def start_recorded(badge, data_fields, now=None):
    """An ``IssuedBadge`` just created from a badge Credly already holds (an import): its issuance, issued."""
    now = now or timezone.now()
    started = BadgeIssuance.objects.create(
        badge=badge, number=1, state=data_fields.get("state", IssuedBadge.STATE_PENDING),
        credly_badge_id=data_fields["credly_badge_id"], attempts_allowed=attempts_allowed(),
    )
    _hold(badge.pk, badge.template.organization_id, data_fields["credly_badge_id"])
    IssuedBadge.objects.filter(pk=badge.pk, current_issuance__isnull=True).update(current_issuance=started)
    return started


def _hold(badge_id, organization_id, credly_badge_id):
    """Bind a Credly badge to this ``IssuedBadge``; ``IntegrityError`` when another row of the organization holds it."""
    holder, _created = HeldCredlyBadge.objects.get_or_create(
        organization_id=organization_id, credly_badge_id=credly_badge_id, defaults={"badge_id": badge_id})
    if holder.badge_id != badge_id:
        raise IntegrityError(f"Credly badge {credly_badge_id} is held by badge {holder.badge_id}, not {badge_id}")


# ---------------------------------------------------------------- sending


def claim(issuance_id, now=None):
    """Take a queued issuance for this worker until the lease runs out; returns the claim token or None."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    # An issuance whose revocation is requested is the revoking task's, never sent.
    claimed = BadgeIssuance.objects.filter(
        _unclaimed(now), pk=issuance_id, state=QUEUED, credly_badge_id="", revoke_requested=False,
    ).update(claimed_until=now + lease(), claim_token=token, modified=now)
    return token if claimed else None


def release(issuance_id, token, *, next_attempt_at=None, last_error=None, refund=False, outcome_known=False):
    """
    Give a claimed issuance up, still queued, to be tried at ``next_attempt_at`` (None: when
    enqueued). ``refund``: Credly refused the request this attempt counted before doing
    anything (401, 403, 429), the attempt is given back; ``outcome_known``: that request
    was the POST, so nothing was created.
    """
    fields = {"claimed_until": None, "claim_token": "", "next_attempt_at": next_attempt_at,
              "modified": timezone.now()}
    if last_error is not None:
        fields["last_error"] = last_error[:2000]
    if outcome_known:
        fields["outcome_unclear"] = False
    if refund:
        fields["attempts"] = F("attempts") - 1  # counted by this attempt, so at least 1
    return bool(BadgeIssuance.objects.filter(pk=issuance_id, claim_token=token, state=QUEUED).update(**fields))


def count_attempt(issuance_id, token, now=None):
    """An attempt that calls Credly before it POSTs (the look-up of an unclear outcome): count it."""
    now = now or timezone.now()
    return bool(BadgeIssuance.objects.filter(pk=issuance_id, claim_token=token, state=QUEUED).update(
        attempts=F("attempts") + 1, last_attempt_at=now, modified=now))


def begin_post(issuance_id, token, now=None, *, counted=False):
    """
    Just before the POST: mark the outcome unclear and count the attempt (unless ``counted``
    already, by its look-up); False if the claim was lost or the revocation was requested meanwhile.
    """
    now = now or timezone.now()
    fields = {"outcome_unclear": True, "last_attempt_at": now, "modified": now}
    if not counted:
        fields["attempts"] = F("attempts") + 1
    return bool(BadgeIssuance.objects.filter(
        pk=issuance_id, claim_token=token, state=QUEUED, credly_badge_id="", claimed_until__gt=now,
        revoke_requested=False,
    ).update(**fields))


def record_issued(issuance_id, fields, now=None, *, adopt=False):
    """
    Credly holds the badge ``fields`` describe (``payload.credly_fields``): the issuance is issued.

    Recorded whoever holds the claim, as long as the issuance is still unsent, so a result
    that arrives after the lease ran out is kept; never on a revoked or failed issuance,
    so a late worker cannot bring one back. ``adopt`` (an import of a badge we were about
    to send) also takes a failed issuance, when no worker holds it.
    """
    now = now or timezone.now()
    state = fields.get("state") if fields.get("state") in ON_CREDLY else IssuedBadge.STATE_PENDING
    rows = BadgeIssuance.objects.filter(pk=issuance_id, credly_badge_id="")
    rows = rows.filter(_unclaimed(now), state__in=(QUEUED, FAILED)) if adopt else rows.filter(state=QUEUED)
    try:
        with transaction.atomic():
            if not rows.update(state=state, credly_badge_id=fields["credly_badge_id"], outcome_unclear=False,
                               claimed_until=None, claim_token="", next_attempt_at=None, last_error="", modified=now):
                return False
            badge_id, organization_id = BadgeIssuance.objects.filter(pk=issuance_id).values_list(
                "badge_id", "badge__template__organization_id").get()
            _mirror(issuance_id, now, **{**fields, "state": state})
            _hold(badge_id, organization_id, fields["credly_badge_id"])
    except IntegrityError as error:
        log.error("Badge issuance %s: not recorded, %s.", issuance_id, error)
        return False
    return True


def held_elsewhere(issuance_id, credly_badge_id):
    """Whether another row of the issuance's organization holds this Credly badge."""
    return HeldCredlyBadge.objects.filter(
        credly_badge_id=credly_badge_id,
        organization__templates__issued_badges__issuances__pk=issuance_id,
    ).exclude(badge__issuances__pk=issuance_id).exists()


def fail(issuance_id, token, reason, *, outcome_known=False):
    """
    Credly refused the badge, or the attempts ran out: the issuance fails (an operator may retry it).

    ``outcome_known``: Credly's refusal was read, nothing was created; otherwise the
    unclear flag stays, and a retry looks on Credly first.
    """
    now = timezone.now()
    fields = {"outcome_unclear": False} if outcome_known else {}
    with transaction.atomic():
        if not BadgeIssuance.objects.filter(pk=issuance_id, claim_token=token, state=QUEUED).update(
                state=FAILED, claimed_until=None, claim_token="", next_attempt_at=None, last_error=reason[:2000],
                modified=now, **fields):
            return False
        _mirror(issuance_id, now, state=FAILED)
    return True


def retry(badge_ids):
    """
    An operator's retry: failed issuances are queued again for another round of attempts.

    Attempts and ``outcome_unclear`` are kept, so the next attempt still looks on Credly
    first; an issuance a worker holds is left alone. Returns ``(ids to enqueue, busy ids)``.
    """
    now = timezone.now()
    retried, busy = [], []
    for badge_id in badge_ids:
        issuance = current(badge_id)
        if issuance is None:
            continue
        with transaction.atomic():
            # Never one whose revocation is requested (the revoking task's), nor a retired learner's.
            updated = BadgeIssuance.objects.filter(
                _unclaimed(now), pk=issuance.pk, state__in=(QUEUED, FAILED), credly_badge_id="",
                revoke_requested=False,
            ).exclude(badge__recipient_email="").update(
                state=QUEUED, next_attempt_at=None, claimed_until=None, claim_token="",
                attempts_allowed=F("attempts") + attempts_allowed(), modified=now)
            if updated:
                _mirror(issuance.pk, now, state=QUEUED)
        if updated:
            retried.append(badge_id)
        elif BadgeIssuance.objects.filter(pk=issuance.pk, claimed_until__gte=now).exists():
            busy.append(badge_id)
    return retried, busy


def stop_unsent(badge_ids, reason):
    """
    Nothing more is to be sent for these badges (their learner retired): each queued issuance
    that no worker holds fails with ``reason``. One a worker holds finishes its attempt, and
    its answer is still recorded. Returns how many issuances were stopped.
    """
    now = timezone.now()
    stopped = 0
    for badge_id in badge_ids:
        issuance = current(badge_id)
        if issuance is None:
            continue
        with transaction.atomic():
            if BadgeIssuance.objects.filter(_unclaimed(now), pk=issuance.pk, state=QUEUED, credly_badge_id="").update(
                    state=FAILED, claimed_until=None, claim_token="", next_attempt_at=None, last_error=reason[:2000],
                    modified=now):
                _mirror(issuance.pk, now, state=FAILED)
                stopped += 1
    return stopped


# ---------------------------------------------------------------- revoking and granting again


def request_revocation(badge_ids):
    """
    The platform took these achievements back: mark their current issuances to be revoked.

    Returns the ids of the badges marked (those with something to revoke).
    """
    now = timezone.now()
    marked = []
    for badge_id in badge_ids:
        current_issuance = current(badge_id)
        if current_issuance is None:
            continue
        if BadgeIssuance.objects.filter(
                pk=current_issuance.pk, state__in=(QUEUED, FAILED) + IssuedBadge.VISIBLE_STATES,
        ).update(revoke_requested=True, next_attempt_at=None, modified=now):
            marked.append(badge_id)
        else:
            # Revoked on Credly by a revocation whose answer was lost, while the achievement was
            # granted again (``granted_again_after_revocation``): taken back once more, the badge
            # stays revoked, and the revoking task must not grant it again.
            BadgeIssuance.objects.filter(
                pk=current_issuance.pk, state=REVOKED, revoked_because=BadgeIssuance.REVOKED_BY_PLATFORM,
                revoke_requested=False, revoke_sent_at__isnull=False,
            ).update(revoke_requested=True, modified=now)
    return marked


def defer_revocation(issuance_id, seconds):
    """The revocation could not be done now: the sweeper re-drives it in ``seconds``, not before."""
    now = timezone.now()
    return bool(BadgeIssuance.objects.filter(pk=issuance_id, revoke_requested=True).update(
        next_attempt_at=now + timedelta(seconds=seconds), modified=now))


def withdraw_revocation(issuance_id):
    """The platform granted the achievement again before its revocation was done: keep the badge."""
    return bool(BadgeIssuance.objects.filter(pk=issuance_id, revoke_requested=True).update(
        revoke_requested=False, modified=timezone.now()))


def begin_revoke(issuance_id):
    """Just before the revocation is sent to Credly: note it; False if it was withdrawn meanwhile."""
    now = timezone.now()
    return bool(BadgeIssuance.objects.filter(pk=issuance_id, revoke_requested=True).update(
        revoke_sent_at=now, modified=now))


def revocation_sent(issuance_id):
    """Whether a revocation of the issuance was sent to Credly (it may have reached it unanswered)."""
    return BadgeIssuance.objects.filter(pk=issuance_id, revoke_sent_at__isnull=False).exists()


def granted_again_after_revocation(issuance_id):
    """
    Whether our revocation of this issuance went through on Credly while the platform granted
    the achievement again (the request withdrawn): then the badge is to be granted again.
    """
    return BadgeIssuance.objects.filter(
        pk=issuance_id, state=REVOKED, revoked_because=BadgeIssuance.REVOKED_BY_PLATFORM, revoke_requested=False,
        revoke_sent_at__isnull=False,
    ).exists()


def revocation_requested(issuance_id):
    """Whether the issuance is still to be revoked."""
    return BadgeIssuance.objects.filter(pk=issuance_id, revoke_requested=True).exists()


def cancel_unsent(issuance_id, reason, *, attempts_seen=None, because=BadgeIssuance.REVOKED_BY_PLATFORM):
    """
    Revoke an issuance that never reached Credly, when no worker holds it and its revocation
    was not withdrawn.

    An issuance whose outcome is unclear is only cancelled when the caller looked on
    Credly, found nothing, and no attempt was made since (``attempts_seen``).
    """
    now = timezone.now()
    clear = Q(outcome_unclear=False)
    if attempts_seen is not None:
        clear |= Q(attempts=attempts_seen)
    with transaction.atomic():
        if not BadgeIssuance.objects.filter(_unclaimed(now), clear, pk=issuance_id, state__in=(QUEUED, FAILED),
                                            credly_badge_id="", revoke_requested=True).update(
                state=REVOKED, revoked_because=because, outcome_unclear=False, revoke_requested=False,
                claimed_until=None, claim_token="",
                next_attempt_at=None, last_error=reason[:2000], modified=now):
            return False
        _mirror(issuance_id, now, state=REVOKED, state_updated_at=now)
    return True


def _lock_current_issuance(badge):
    """Lock the badge's current issuance first (the one lock order); its id, or None."""
    current_id = IssuedBadge.objects.filter(pk=badge.pk).values_list("current_issuance_id", flat=True).first()
    if current_id is None:
        return None
    return BadgeIssuance.objects.select_for_update().filter(pk=current_id).values_list("pk", flat=True).first()


def _revoked_because(because):
    """
    Why an issuance was revoked: while the platform's revocation is requested, or once our
    revocation was sent (withdrawn since, its answer lost), it is the platform's.
    """
    ours = Q(revoke_requested=True) | Q(revoke_sent_at__isnull=False)
    return Case(When(ours, then=Value(BadgeIssuance.REVOKED_BY_PLATFORM)), default=Value(because))


def record_remote(badge, fields, now=None, *, revoked_because=BadgeIssuance.REVOKED_ON_CREDLY):
    """
    Credly's current view of a badge we hold (a webhook, a refresh, a revocation): store it.

    ``fields`` are ``credly_records.credly_fields`` of Credly's badge object. Data older than
    what is stored (by ``state_updated_at``) is ignored. A revoked state while the platform's
    revocation is requested is the platform's (our PUT reached Credly, its answer did not
    reach us). Returns whether the badge changed.
    """
    now = now or timezone.now()
    # Only the badge this row holds: a late word about another (an earlier issuance's) changes nothing.
    held = fields.get("credly_badge_id") or badge.credly_badge_id
    rows = IssuedBadge.objects.filter(pk=badge.pk, credly_badge_id=held)
    if fields.get("state_updated_at"):
        rows = rows.filter(Q(state_updated_at__isnull=True) | Q(state_updated_at__lte=fields["state_updated_at"]))
    new_state = fields.get("state")
    if new_state == REVOKED:
        rows = rows.exclude(state=REVOKED)
    with transaction.atomic():
        current_id = _lock_current_issuance(badge)
        if not rows.update(**{**fields, "modified": now}):
            return False
        if new_state in ON_CREDLY and current_id:
            changes = {"state": new_state, "modified": now}
            if new_state == REVOKED:
                changes["revoked_because"] = _revoked_because(revoked_because)
            BadgeIssuance.objects.filter(pk=current_id, credly_badge_id=held).exclude(state=new_state).update(**changes)
    return True


def mark_gone(badge, reason, now=None, because=BadgeIssuance.REVOKED_ON_CREDLY):
    """Credly no longer has the badge (deleted or revoked there): revoked here too. Returns whether it changed."""
    now = now or timezone.now()
    with transaction.atomic():
        current_id = _lock_current_issuance(badge)
        if not IssuedBadge.objects.filter(pk=badge.pk).exclude(state=REVOKED).update(
                state=REVOKED, accept_url="", state_updated_at=now, modified=now):
            return False
        if current_id:
            BadgeIssuance.objects.filter(pk=current_id).exclude(state=REVOKED).update(
                state=REVOKED, revoked_because=_revoked_because(because), last_error=reason[:2000],
                claimed_until=None, claim_token="", modified=now)
    return True


def grant_again(badge_id, earned_at, event_type="", event_id="", *, expires_at=None):
    """
    The platform granted again an achievement it had taken back: a new issuance, queued,
    earned at ``earned_at`` and expiring at ``expires_at`` (the new grant's, from its mapping).

    Only a badge whose current issuance the platform revoked (a revoked certificate) is
    granted again; one revoked or deleted on Credly stays as Credly left it. Returns
    whether a new issuance was started.
    """
    row = IssuedBadge.objects.filter(pk=badge_id, state=REVOKED).values_list(
        "current_issuance_id", "current_issuance__revoked_because").first()
    if row is None or row[1] != BadgeIssuance.REVOKED_BY_PLATFORM:
        return False
    now = timezone.now()
    with transaction.atomic():
        if not IssuedBadge.objects.filter(pk=badge_id, state=REVOKED, current_issuance_id=row[0]).update(
                state=QUEUED, current_issuance=None, credly_badge_id="", accept_url="", badge_url="",
                issued_at=None, state_updated_at=now, earned_at=earned_at, expires_at=expires_at,
                trigger_event_type=event_type,
                trigger_event_id=str(event_id or ""), modified=now):
            return False
    return current(badge_id) is not None


# ---------------------------------------------------------------- what the sweeper sends


def blocked_organizations(now):
    """Organizations that cannot issue now (inactive, disconnected, paused)."""
    return CredlyOrganization.objects.filter(
        Q(is_active=False) | Q(connection_lost_at__isnull=False) | Q(issuing_paused_until__gt=now)
    )


def blocked_template_ids(now):
    """The templates of blocked organizations, by id: the badge table is never joined to the organizations."""
    return list(BadgeTemplate.objects.filter(organization__in=blocked_organizations(now)).values_list("pk", flat=True))


def due_badge_ids(now=None, limit=5000):
    """
    Ids of queued badges that nobody is working on and whose time has come.

    Two indexed questions: issuances queued, unclaimed (or their lease ran out) and due;
    badges queued without an issuance yet (their first message was lost). Both only
    past the grace period, and only for organizations that can issue.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=int(settings.CREDLY_QUEUE_GRACE_PERIOD))
    blocked = blocked_template_ids(now)
    started = list(
        BadgeIssuance.objects.filter(state=QUEUED, modified__lt=cutoff, revoke_requested=False)
        .filter(_unclaimed(now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now))
        .exclude(badge__template_id__in=blocked)
        .order_by("next_attempt_at", "id")
        .values_list("badge_id", flat=True)[:limit]
    )
    # Oldest first, in the order of the (state, modified) index: no sort of every queued badge.
    never_started = list(
        IssuedBadge.objects.filter(state=QUEUED, current_issuance__isnull=True, modified__lt=cutoff)
        .exclude(template_id__in=blocked)
        .order_by("modified", "id")
        .values_list("id", flat=True)[:max(0, limit - len(started))]
    )
    return started + never_started


def revocations_due(now=None, limit=5000):
    """
    Ids of badges whose revocation is requested and not done, nobody works on it, and its time
    has come: its message was lost (broker down at commit) or its retries gave up.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=int(settings.CREDLY_QUEUE_GRACE_PERIOD))
    return list(
        BadgeIssuance.objects.filter(revoke_requested=True, state__in=(QUEUED, FAILED) + IssuedBadge.VISIBLE_STATES,
                                     modified__lt=cutoff)
        .filter(_unclaimed(now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now))
        .exclude(badge__template_id__in=blocked_template_ids(now))
        .order_by("next_attempt_at", "id")
        .values_list("badge_id", flat=True)[:limit]
    )


def waiting_badge_ids(organization_pk):
    """
    Every queued badge of an organization (after an operator reconnected it).

    ``template_id IN (its templates)`` without a join, read through the (state, template)
    index: only the organization's queued rows, whatever the size of the table.
    """
    template_ids = list(BadgeTemplate.objects.filter(organization_id=organization_pk).values_list("id", flat=True))
    if not template_ids:
        return []
    return list(IssuedBadge.objects.filter(state=QUEUED, template_id__in=template_ids).values_list("id", flat=True))
