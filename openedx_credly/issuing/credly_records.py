"""
Credly's badge objects and our rows: how one is read into the other, and how a badge of ours is found on Credly.

Sending (``delivery``), revoking (``revoking``) and bringing Credly's view home
(``syncing``: the refresh, the import, the webhooks) all read Credly's answers through
``credly_fields`` and match a badge to an achievement through ``issuer_earner_id`` and
``find_existing``; ``apply_credly_badge`` and ``mark_gone`` record what Credly says of a
badge we hold, whichever side learned it.
"""
import re
from datetime import timezone as dt_timezone

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from openedx_credly import safe_urls
from openedx_credly.issuing import badge_events, issuance
from openedx_credly.models import BadgeIssuance, IssuedBadge

# What a Credly badge id looks like (a UUID on Credly); anything else is not an id we can keep.
BADGE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def issuer_earner_id(user_id):
    """Our stable id for the learner on Credly; it survives an email change."""
    return f"{settings.CREDLY_ISSUER_EARNER_ID_PREFIX}{user_id}"


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
    duplicates, only a badge ``issued_for`` the achievement. Revoked badges, and badges
    another of our rows holds, never match.
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


def fields_from(data, now):
    """Fields to store from a Credly badge; a URL Credly leaves out keeps its stored value."""
    fields = credly_fields(data)
    if not fields["credly_badge_id"]:
        fields.pop("credly_badge_id")
    for name in ("badge_url", "image_url"):
        if not fields[name]:
            fields.pop(name)
    if fields.get("state", IssuedBadge.STATE_PENDING) != IssuedBadge.STATE_PENDING:
        fields["accept_url"] = ""  # only a pending badge can be accepted
    fields["modified"] = now
    return fields


def apply_credly_badge(badge, data, now=None, revoked_because=BadgeIssuance.REVOKED_ON_CREDLY):
    """
    Update ``badge`` (known to Credly) from Credly's badge object ``data``.

    Returns whether its state changed. Data older than what is stored (by Credly's
    ``state_updated_at``) is ignored, so a slow refresh cannot undo a newer webhook.
    A badge that becomes revoked is announced with ``BADGE_REVOKED``, once.
    """
    now = now or timezone.now()
    fields = fields_from(data, now)
    fields.pop("modified", None)
    previous_state = badge.state
    if not issuance.record_remote(badge, fields, now, revoked_because=revoked_because):
        return False
    badge.refresh_from_db()
    if fields.get("state") == IssuedBadge.STATE_REVOKED:
        badge_events.badge_revoked(badge)
    return badge.state != previous_state


def mark_gone(badge, reason, now=None, because=BadgeIssuance.REVOKED_ON_CREDLY):
    """Credly no longer has ``badge`` (deleted there): hide it as revoked; returns whether it changed."""
    if not issuance.mark_gone(badge, reason, now or timezone.now(), because=because):
        return False
    badge.refresh_from_db()
    badge_events.badge_revoked(badge)
    return True
