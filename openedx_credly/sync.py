"""Keeping badge templates in step with Credly."""
import logging

from django.db import transaction
from django.utils import timezone

from openedx_credly import errorlog
from openedx_credly.connections import client_for
from openedx_credly.credly import CredlyError
from openedx_credly.models import BadgeTemplate, CredlyOrganization

log = logging.getLogger(__name__)

TEMPLATE_FIELDS = ("name", "description", "image_url", "url", "state", "allow_duplicate_badges")


def template_fields(data):
    """``BadgeTemplate`` fields from a Credly badge template object."""
    state = data.get("state") or BadgeTemplate.STATE_ACTIVE
    if state not in dict(BadgeTemplate.STATE_CHOICES):
        state = BadgeTemplate.STATE_ARCHIVED
    return {
        "name": (data.get("name") or str(data.get("id")))[:255],
        "description": data.get("description") or "",
        "image_url": (data.get("image_url") or (data.get("image") or {}).get("url") or "")[:1000],
        "url": (data.get("url") or "")[:1000],
        "state": state,
        "allow_duplicate_badges": bool(data.get("allow_duplicate_badges")),
    }


def upsert_template(organization, data, now=None):
    """Create or update one template from Credly's data; returns the row."""
    template, _created = BadgeTemplate.objects.update_or_create(
        template_id=str(data["id"]),
        defaults={"organization": organization, "synced_at": now or timezone.now(), **template_fields(data)},
    )
    return template


@transaction.atomic
def _apply(organization, templates, now):
    seen = set()
    for data in templates:
        upsert_template(organization, data, now)
        seen.add(str(data["id"]))
    # A template Credly no longer lists as active can no longer be chosen or issue.
    gone = organization.templates.exclude(template_id__in=seen).exclude(state=BadgeTemplate.STATE_ARCHIVED)
    archived = gone.update(state=BadgeTemplate.STATE_ARCHIVED, synced_at=now)
    CredlyOrganization.objects.filter(pk=organization.pk).update(templates_synced_at=now)
    return len(seen), archived


def sync_templates(organization):
    """
    Read every page of the organization's active templates and store them.

    Returns ``(active, archived)`` counts, or None when Credly could not be read (the
    error log says why, and nothing stored is changed).
    """
    now = timezone.now()
    try:
        templates = list(client_for(organization).iter_badge_templates(filters={"state": "active"}))
    except CredlyError as error:
        errorlog.sync_failed(organization, error.message or error.__class__.__name__)
        return None
    return _apply(organization, templates, now)
