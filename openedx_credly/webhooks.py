"""
Credly's webhook notifications: recorded on arrival, applied in a task.

A notification is unsigned, so its body is trusted for two things only: which
organization (one of ours, or it is dropped) and which event id. The task fetches
that event from Credly with the organization's own credential and acts on Credly's
answer alone; an id Credly does not confirm changes nothing. Each event is recorded
once (``WebhookEvent``, unique per organization and id): Credly redelivers for up
to 25 days, and a redelivery only counts itself, without another fetch.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from openedx_credly import errorlog, refresh, scheduling, sync
from openedx_credly.connections import client_for
from openedx_credly.credly import (
    CredlyCredentialError,
    CredlyError,
    CredlyNotFoundError,
    CredlyRateLimitError,
    CredlyTransientError,
)
from openedx_credly.models import BadgeTemplate, CredlyErrorLog, CredlyOrganization, WebhookEvent

log = logging.getLogger(__name__)

BADGE_EVENTS = ("badge.created", "badge.state.changed", "badge.deleted")
TEMPLATE_EVENT_PREFIX = "badge_template."
# A notification still unprocessed this long after it arrived lost its task (broker
# restart): a redelivery enqueues it again.
STALE_AFTER = timedelta(minutes=15)
# Window in which notifications that Credly does not confirm are counted against the flood limit.
FLOOD_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Processing:
    """What became of one event; ``retry`` asks the task to try again later."""

    outcome: str
    retry: bool = False


def receive_notification(organization_id, event_id, event_type):
    """
    Record a notification and enqueue its processing after commit.

    Returns the ``WebhookEvent``, or None for an organization that is not connected
    here (nothing is stored and nothing is fetched for it).
    """
    organization = CredlyOrganization.objects.filter(organization_id=organization_id).first()
    if organization is None:
        log.info("Ignored a Credly webhook notification for an organization that is not connected here.")
        return None
    known = WebhookEvent.objects.filter(organization=organization, event_id=event_id).exists()
    if not known and _flooded(organization):
        return None
    event, created = WebhookEvent.objects.get_or_create(
        organization=organization, event_id=event_id, defaults={"event_type": event_type[:64]},
    )
    if not created:
        WebhookEvent.objects.filter(pk=event.pk).update(times_received=F("times_received") + 1)
        if not needs_processing(event):
            return event
    schedule_processing(event.pk)
    return event


def _flooded(organization):
    """
    Whether the organization received more made-up event ids lately than Credly sends.

    Each new id costs one call to Credly with the organization's credential; a flood of
    forged notifications could spend its rate limit and delay badges. Past
    ``CREDLY_WEBHOOK_UNCONFIRMED_LIMIT`` ids that Credly did not confirm within an hour,
    new ids are dropped unfetched (once an hour, the error log says so); badge states
    still arrive through the periodic refresh.
    """
    now = timezone.now()
    since = now - FLOOD_WINDOW
    unconfirmed = WebhookEvent.objects.filter(
        organization=organization, outcome=WebhookEvent.OUTCOME_UNCONFIRMED, processed_at__gt=since,
    ).count()
    if unconfirmed < settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT:
        return False
    if not organization.error_log.filter(kind=CredlyErrorLog.KIND_WEBHOOK, created__gt=since).exists():
        errorlog.record(
            organization, CredlyErrorLog.KIND_WEBHOOK, _("Webhook notifications ignored"),
            _("%(count)s webhook notifications for %(name)s named events that Credly does not know in the last "
              "hour: someone may be sending forged notifications. New ones are ignored for now; badge states "
              "keep arriving through the periodic refresh.") % {"count": unconfirmed, "name": organization.name},
        )
    return True


def needs_processing(event, now=None):
    """Whether a redelivered event must be fetched again: it failed, or its task was lost."""
    now = now or timezone.now()
    if event.outcome == WebhookEvent.OUTCOME_FAILED:
        return True
    return event.outcome == WebhookEvent.OUTCOME_RECEIVED and event.received_at < now - STALE_AFTER


def schedule_processing(event_pk):
    """
    Enqueue ``process_webhook_event`` once the current transaction commits.

    If the broker cannot be reached the event stays "received": the next redelivery,
    past ``STALE_AFTER``, enqueues it again.
    """
    scheduling.after_commit(scheduling.PROCESS_WEBHOOK_EVENT, [event_pk])


def _finish(event, outcome, event_type=None):
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
    if not isinstance(badge_data, dict) or not badge_data.get("id"):
        return WebhookEvent.OUTCOME_IGNORED
    if event_type == "badge.deleted" or badge_data.get("deleted"):
        badge = refresh.find_badge(organization, badge_data["id"])
        if badge and refresh.mark_gone(badge, _("The badge was deleted on Credly.")):
            return WebhookEvent.OUTCOME_APPLIED
        return WebhookEvent.OUTCOME_IGNORED
    outcome = refresh.import_credly_badge(organization, badge_data)
    return WebhookEvent.OUTCOME_APPLIED if outcome in refresh.RECORDED else WebhookEvent.OUTCOME_IGNORED


def _apply_template_event(organization, event_type, template_data):
    if not isinstance(template_data, dict) or not template_data.get("id"):
        return WebhookEvent.OUTCOME_IGNORED
    template_id = str(template_data["id"])
    if BadgeTemplate.objects.filter(template_id=template_id).exclude(organization=organization).exists():
        return WebhookEvent.OUTCOME_IGNORED  # another organization's template is not this one's to change
    if event_type == "badge_template.deleted":
        archived = BadgeTemplate.objects.filter(organization=organization, template_id=template_id).update(
            state=BadgeTemplate.STATE_ARCHIVED, synced_at=timezone.now())
        return WebhookEvent.OUTCOME_APPLIED if archived else WebhookEvent.OUTCOME_IGNORED
    sync.upsert_template(organization, template_data)
    return WebhookEvent.OUTCOME_APPLIED
