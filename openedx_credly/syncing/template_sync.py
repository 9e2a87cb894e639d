"""Keeping badge templates in step with Credly."""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from openedx_credly import errorlog
from openedx_credly.credly import CredlyError
from openedx_credly.credly.connections import client_for
from openedx_credly.models import BadgeTemplate, CredlyErrorLog, CredlyOrganization
from openedx_credly.safe_urls import credly_url

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
        "image_url": credly_url(data.get("image_url") or (data.get("image") or {}).get("url")),
        "url": credly_url(data.get("url")),
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
    """Store Credly's active templates and archive the ones it no longer lists; (stored, archived) counts."""
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
    client = client_for(organization)
    try:
        templates = list(client.iter_badge_templates(filters={"state": "active"}))
    except CredlyError as error:
        errorlog.sync_failed(organization, error.message or error.__class__.__name__)
        return None
    result = _apply(organization, templates, now)
    warn_if_token_expires_soon(organization, client, now)
    return result


def token_expiry(organization, tokens):
    """
    When the organization's token expires, as far as Credly's token list tells.

    The list does not hold the secrets. Where an entry names the token's last four
    characters (``last_four``, not documented), ours is found by them; otherwise the
    latest expiry is a safe bound: our token expires no later than that.
    """
    own_suffix = organization.api_token[-4:]
    expiries = []
    for entry in tokens:
        expires_at = parse_datetime(str(entry.get("expires_at") or ""))
        if not expires_at:
            continue
        if own_suffix and entry.get("last_four") == own_suffix:
            return expires_at
        expiries.append(expires_at)
    return max(expiries, default=None)


def warn_if_token_expires_soon(organization, client, now):
    """Warn in the error log, at most daily, when the token expires within CREDLY_TOKEN_EXPIRY_WARNING_DAYS."""
    if organization.uses_oauth or not organization.api_token:
        return None
    try:
        expires_at = token_expiry(organization, client.list_authorization_tokens())
    except CredlyError:
        return None  # Reading the list may need a permission the token lacks: not worth an error.
    if not expires_at or expires_at - now > timedelta(days=settings.CREDLY_TOKEN_EXPIRY_WARNING_DAYS):
        return None
    already_warned = organization.error_log.filter(
        kind=CredlyErrorLog.KIND_CREDENTIAL_EXPIRING, created__gt=now - timedelta(days=1),
    ).exists()
    if not already_warned:
        errorlog.credential_expiring(organization, expires_at)
    return expires_at
