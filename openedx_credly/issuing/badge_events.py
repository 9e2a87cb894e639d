"""
Announcing our badges to the rest of the platform: openedx-events ``BADGE_AWARDED``
and ``BADGE_REVOKED`` (origin ``"credly"``).

Announcing is a courtesy to other services: it must never undo or block the work
that came before it, so every failure is logged and swallowed here.
"""
import logging

from openedx_events.learning.data import BadgeData, BadgeTemplateData, UserData, UserPersonalData
from openedx_events.learning.signals import BADGE_AWARDED, BADGE_REVOKED

from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)

ORIGIN = "credly"


def badge_data(badge):
    """The openedx-events ``BadgeData`` of an ``IssuedBadge`` that exists on Credly."""
    user, template = badge.user, badge.template
    return BadgeData(
        uuid=badge.credly_badge_id,
        user=UserData(
            id=user.id,
            is_active=user.is_active,
            pii=UserPersonalData(
                username=user.username,
                email=badge.recipient_email or user.email,
                name=badge.recipient_name or get_platform().get_full_name(user) or "",
            ),
        ),
        template=BadgeTemplateData(
            uuid=template.template_id,
            origin=ORIGIN,
            name=template.name,
            description=template.description,
            image_url=badge.image_url or template.image_url,
        ),
    )


def _announce(signal, badge):
    """Send ``signal`` for ``badge``; never raises (returns whether it was sent)."""
    try:
        signal.send_event(badge=badge_data(badge))
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not announce %s for Credly badge %s.", signal.event_type, badge.pk)
        return False
    return True


def badge_awarded(badge):
    """Send ``BADGE_AWARDED`` for ``badge``; returns whether it was sent."""
    return _announce(BADGE_AWARDED, badge)


def badge_revoked(badge):
    """Send ``BADGE_REVOKED`` for ``badge``; returns whether it was sent."""
    return _announce(BADGE_REVOKED, badge)
