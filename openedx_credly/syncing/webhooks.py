"""
Credly's webhook notifications: recorded on arrival, applied in a task.

A notification is unsigned, so its body is trusted for two things only: which
organization (one of ours, or it is dropped) and which event id. The task fetches
that event from Credly with the organization's own credential and acts on Credly's
answer alone; an id Credly does not confirm changes nothing. Each event is recorded
once (``WebhookEvent``, unique per organization and id): Credly redelivers for up
to 25 days, and a redelivery only counts itself, without another fetch.

Each fetch spends the organization's Credly rate limit, so a flood of forged ids is
bounded (``fetch_budget``): past the limit, new events are recorded as *deferred*,
not fetched, and ``release_deferred`` (a periodic task) enqueues them, oldest first,
as the budget frees up. A genuine event that arrives during a flood is kept, not lost.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from openedx_credly import errorlog
from openedx_credly.credly import (
    CredlyCredentialError,
    CredlyError,
    CredlyNotFoundError,
    CredlyRateLimitError,
    CredlyTransientError,
)
from openedx_credly.credly.connections import client_for
from openedx_credly.issuing import credly_records, scheduling
from openedx_credly.models import BadgeTemplate, CredlyErrorLog, CredlyOrganization, WebhookEvent
from openedx_credly.syncing import refresh, template_sync

log = logging.getLogger(__name__)

BADGE_EVENTS = ("badge.created", "badge.state.changed", "badge.deleted")
TEMPLATE_EVENT_PREFIX = "badge_template."
# A notification still unprocessed this long after its fetch was enqueued lost its task
# (broker restart): a redelivery enqueues it again, and it stops counting as in flight.
STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Processing:
    """What became of one event; ``retry`` asks the task to try again later."""

    outcome: str
    retry: bool = False


def flood_window():
    """How long an event that Credly did not confirm counts against the flood limit."""
    return timedelta(seconds=int(getattr(settings, "CREDLY_WEBHOOK_UNCONFIRMED_WINDOW", 3600)))


def receive_notification(organization_id, event_id, event_type):
    """
    Record a notification and, when the flood budget allows, enqueue its fetch after commit.

    Returns the ``WebhookEvent`` (outcome ``deferred`` when it waits for the budget), or
    None for an organization that is not connected here (nothing is stored and nothing is
    fetched for it) or when the organization already holds
    ``CREDLY_WEBHOOK_DEFERRED_LIMIT`` deferred events.
    """
    organization = CredlyOrganization.objects.filter(organization_id=organization_id).first()
    if organization is None:
        log.info("Ignored a Credly webhook notification for an organization that is not connected here.")
        return None
    now = timezone.now()
    with transaction.atomic():
        # One notification of an organization at a time counts the budget and takes from
        # it: concurrent requests cannot all see room under the limit.
        _lock(organization)
        event = WebhookEvent.objects.filter(organization=organization, event_id=event_id).first()
        if event is not None:
            WebhookEvent.objects.filter(pk=event.pk).update(times_received=F("times_received") + 1)
            if not needs_processing(event, now):
                return event
        else:
            deferred = fetch_budget(organization, now) <= 0
            if deferred:
                _warn_flood(organization, now)
                if _deferred_count(organization) >= int(getattr(settings, "CREDLY_WEBHOOK_DEFERRED_LIMIT", 10000)):
                    log.warning("Dropped a Credly webhook notification of organization %s: too many are deferred.",
                                organization.organization_id)
                    return None
            event, _created = WebhookEvent.objects.get_or_create(
                organization=organization, event_id=event_id,
                defaults={"event_type": event_type[:64], "queued_at": None if deferred else now,
                          "outcome": WebhookEvent.OUTCOME_DEFERRED if deferred else WebhookEvent.OUTCOME_RECEIVED},
            )
            if deferred:
                return event
        WebhookEvent.objects.filter(pk=event.pk).update(queued_at=now)
        schedule_processing(event.pk)
    return event


def fetch_budget(organization, now=None):
    """
    How many more event ids of ``organization`` may be fetched from Credly right now.

    Each new id costs one call to Credly with the organization's credential; a flood of
    forged notifications could spend its rate limit and delay badges. What counts is
    every id not confirmed yet: those whose fetch is in flight (enqueued in the last
    ``STALE_AFTER``, not processed yet, however busy or stopped the workers are) and
    those Credly did not confirm within ``CREDLY_WEBHOOK_UNCONFIRMED_WINDOW``. The budget
    is ``CREDLY_WEBHOOK_UNCONFIRMED_LIMIT`` minus both.
    """
    now = now or timezone.now()
    events = WebhookEvent.objects.filter(organization=organization)
    in_flight = events.filter(outcome=WebhookEvent.OUTCOME_RECEIVED, queued_at__gt=now - STALE_AFTER).count()
    unconfirmed = events.filter(outcome=WebhookEvent.OUTCOME_UNCONFIRMED,
                                processed_at__gt=now - flood_window()).count()
    return int(settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT) - in_flight - unconfirmed


def _lock(organization):
    """
    Hold ``organization``'s row until the transaction ends.

    An UPDATE that changes nothing: it locks the row on MariaDB and MySQL as
    ``SELECT … FOR UPDATE`` would, and on SQLite (which ignores ``FOR UPDATE``) it takes
    the write lock first, waiting its turn, instead of failing a later write with
    "database is locked".
    """
    CredlyOrganization.objects.filter(pk=organization.pk).update(organization_id=F("organization_id"))


def _deferred_count(organization):
    return WebhookEvent.objects.filter(organization=organization, outcome=WebhookEvent.OUTCOME_DEFERRED).count()


def _warn_flood(organization, now):
    """Say so in the error log, at most once per window, when new events start waiting."""
    since = now - flood_window()
    if organization.error_log.filter(kind=CredlyErrorLog.KIND_WEBHOOK, created__gt=since).exists():
        return
    errorlog.record(
        organization, CredlyErrorLog.KIND_WEBHOOK, _("Webhook notifications deferred"),
        _("%(name)s received more webhook notifications than Credly confirms (%(limit)s not confirmed yet): "
          "someone may be sending forged notifications. New ones are kept and fetched from Credly once the "
          "flood has passed; badge states also keep arriving through the periodic refresh.")
        % {"limit": settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT, "name": organization.name},
    )


def release_deferred(now=None):
    """
    Enqueue deferred events, oldest first, as far as each organization's budget allows.

    Run by the periodic task ``release_deferred_webhook_events``; returns how many were enqueued.
    """
    now = now or timezone.now()
    released = 0
    organization_pks = (
        WebhookEvent.objects.filter(outcome=WebhookEvent.OUTCOME_DEFERRED)
        .values_list("organization_id", flat=True).distinct()
    )
    for organization in CredlyOrganization.objects.filter(pk__in=list(organization_pks)):
        with transaction.atomic():
            _lock(organization)
            budget = fetch_budget(organization, now)
            if budget <= 0:
                continue
            pks = list(
                WebhookEvent.objects.filter(organization=organization, outcome=WebhookEvent.OUTCOME_DEFERRED)
                .order_by("pk").values_list("pk", flat=True)[:budget]
            )
            WebhookEvent.objects.filter(pk__in=pks, outcome=WebhookEvent.OUTCOME_DEFERRED).update(
                outcome=WebhookEvent.OUTCOME_RECEIVED, queued_at=now)
            for pk in pks:
                schedule_processing(pk)
            released += len(pks)
    return released


def needs_processing(event, now=None):
    """Whether a redelivered event must be fetched again: it failed, or its task was lost."""
    now = now or timezone.now()
    if event.outcome == WebhookEvent.OUTCOME_FAILED:
        return True
    return event.outcome == WebhookEvent.OUTCOME_RECEIVED and (event.queued_at or event.received_at) < now - STALE_AFTER


def schedule_processing(event_pk):
    """
    Enqueue ``process_webhook_event`` once the current transaction commits.

    If the broker cannot be reached the event stays "received": the next redelivery,
    past ``STALE_AFTER``, enqueues it again.
    """
    scheduling.after_commit(scheduling.PROCESS_WEBHOOK_EVENT, [event_pk])


def _finish(event, outcome, event_type=None):
    """Record the event's outcome (and type, when known) as processed now."""
    fields = {"outcome": outcome, "processed_at": timezone.now()}
    if event_type:
        fields["event_type"] = event_type[:64]
    WebhookEvent.objects.filter(pk=event.pk).update(**fields)
    return Processing(outcome)


def process_event(event_pk):
    """Fetch one recorded event from Credly and apply it; see the module docstring."""
    event = WebhookEvent.objects.select_related("organization").filter(pk=event_pk).first()
    if event is None:
        return Processing("missing")
    if event.processed_at and event.outcome != WebhookEvent.OUTCOME_FAILED:
        return Processing(event.outcome)  # already done: a second task changes nothing
    if event.outcome == WebhookEvent.OUTCOME_DEFERRED:
        return Processing(event.outcome)  # waits for release_deferred, which enqueues it
    organization = event.organization
    try:
        data = client_for(organization).get_event(event.event_id)
    except CredlyNotFoundError:
        log.info("Credly does not confirm webhook event %s of organization %s; ignored.",
                 event.event_id, organization.organization_id)
        return _finish(event, WebhookEvent.OUTCOME_UNCONFIRMED)
    except CredlyCredentialError:
        errorlog.record(
            organization, CredlyErrorLog.KIND_WEBHOOK, _("Webhook event could not be read"),
            _("Credly refused the credentials of %(name)s when asked for an event it had notified; badge "
              "states may lag until the organization is reconnected.") % {"name": organization.name},
        )
        return _finish(event, WebhookEvent.OUTCOME_FAILED)
    except (CredlyRateLimitError, CredlyTransientError) as error:
        log.info("Credly webhook event %s could not be read yet: %s", event.event_id,
                 error.message or error.__class__.__name__)
        _finish(event, WebhookEvent.OUTCOME_FAILED)
        return Processing(WebhookEvent.OUTCOME_FAILED, retry=True)
    except CredlyError as error:
        log.warning("Credly webhook event %s could not be read: %s", event.event_id,
                    error.message or error.__class__.__name__)
        return _finish(event, WebhookEvent.OUTCOME_FAILED)

    if str(data.get("id") or "") != event.event_id or str(
            data.get("organization_id") or organization.organization_id) != organization.organization_id:
        return _finish(event, WebhookEvent.OUTCOME_UNCONFIRMED)
    event_type = str(data.get("event_type") or "")
    outcome = apply_event(organization, event_type, data)
    return _finish(event, outcome, event_type)


def apply_event(organization, event_type, data):
    """Apply an event fetched from Credly; returns the outcome to record."""
    if event_type in BADGE_EVENTS:
        return _apply_badge_event(organization, event_type, data.get("badge"))
    if event_type.startswith(TEMPLATE_EVENT_PREFIX):
        return _apply_template_event(organization, event_type, data.get("badge_template"))
    return WebhookEvent.OUTCOME_IGNORED  # e.g. pending_badge_notification.*


def _apply_badge_event(organization, event_type, badge_data):
    """Import the badge a ``badge.*`` event names, or mark it gone when it was deleted."""
    if not isinstance(badge_data, dict) or not badge_data.get("id"):
        return WebhookEvent.OUTCOME_IGNORED
    if event_type == "badge.deleted" or badge_data.get("deleted"):
        badge = refresh.find_badge(organization, badge_data["id"])
        if badge and credly_records.mark_gone(badge, _("The badge was deleted on Credly.")):
            return WebhookEvent.OUTCOME_APPLIED
        return WebhookEvent.OUTCOME_IGNORED
    outcome = refresh.import_credly_badge(organization, badge_data)
    return WebhookEvent.OUTCOME_APPLIED if outcome in refresh.RECORDED else WebhookEvent.OUTCOME_IGNORED


def _apply_template_event(organization, event_type, template_data):
    """Upsert the template a ``badge_template.*`` event names, or archive it when it was deleted."""
    if not isinstance(template_data, dict) or not template_data.get("id"):
        return WebhookEvent.OUTCOME_IGNORED
    template_id = str(template_data["id"])
    if BadgeTemplate.objects.filter(template_id=template_id).exclude(organization=organization).exists():
        return WebhookEvent.OUTCOME_IGNORED  # another organization's template is not this one's to change
    if event_type == "badge_template.deleted":
        archived = BadgeTemplate.objects.filter(organization=organization, template_id=template_id).update(
            state=BadgeTemplate.STATE_ARCHIVED, synced_at=timezone.now())
        return WebhookEvent.OUTCOME_APPLIED if archived else WebhookEvent.OUTCOME_IGNORED
    template_sync.upsert_template(organization, template_data)
    return WebhookEvent.OUTCOME_APPLIED
