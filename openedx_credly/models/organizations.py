"""
Credly organizations an operator connected, and the badge templates synced from them.

Secrets are stored encrypted (``openedx_credly.crypto``) and never shown back.
"""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openedx_credly.crypto import EncryptedTextField


class CredlyOrganization(models.Model):
    """
    A Credly organization this site issues badges for, with its credential.

    .. no_pii: Organization names and encrypted credentials are not personal data.
    """

    name = models.CharField(_("name"), max_length=255, help_text=_("A name for this connection, shown to operators."))
    organization_id = models.CharField(
        _("Credly organization ID"), max_length=64, unique=True,
        help_text=_("The organization's ID on Credly (a UUID)."),
    )
    api_token = EncryptedTextField(_("authorization token"), blank=True, default="")
    client_id = models.CharField(_("OAuth client ID"), max_length=255, blank=True, default="")
    client_secret = EncryptedTextField(_("OAuth client secret"), blank=True, default="")
    use_sandbox = models.BooleanField(
        _("use the Credly sandbox"), default=False,
        help_text=_("Talk to Credly's sandbox instead of production. Sandbox organizations have their own IDs."),
    )
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive organizations issue nothing."))
    connection_lost_at = models.DateTimeField(
        _("connection lost at"), null=True, blank=True,
        help_text=_("Set when Credly refused the credential; issuing waits until an operator reconnects."),
    )
    connection_lost_reason = models.CharField(_("connection lost because"), max_length=255, blank=True, default="")
    issuing_paused_until = models.DateTimeField(
        _("issuing paused until"), null=True, blank=True,
        help_text=_("Credly's rate limit was reached; badges wait until this time."),
    )
    templates_synced_at = models.DateTimeField(_("templates synced at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("Credly organization")
        verbose_name_plural = _("Credly organizations")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.organization_id})"

    @property
    def uses_oauth(self):
        """True when the organization authenticates with an OAuth client rather than a token."""
        return bool(self.client_id and self.client_secret)

    def issuing_blocked_reason(self, now=None):
        """Why badges of this organization cannot be sent right now, or None if they can."""
        now = now or timezone.now()
        if not self.is_active:
            return "inactive"
        if self.connection_lost_at:
            return "connection_lost"
        if self.issuing_paused_until and self.issuing_paused_until > now:
            return "rate_limited"
        return None


class BadgeTemplate(models.Model):
    """
    A badge template of a Credly organization, as last synced from Credly.

    .. no_pii: Template data describes a badge, not a person.
    """

    STATE_DRAFT = "draft"
    STATE_ACTIVE = "active"
    STATE_ARCHIVED = "archived"
    STATE_CHOICES = [
        (STATE_DRAFT, _("Draft")),
        (STATE_ACTIVE, _("Active")),
        (STATE_ARCHIVED, _("Archived")),
    ]

    organization = models.ForeignKey(
        CredlyOrganization, on_delete=models.CASCADE, related_name="templates", verbose_name=_("organization"),
    )
    template_id = models.CharField(_("Credly template ID"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    image_url = models.URLField(_("image URL"), max_length=1000, blank=True, default="")
    url = models.URLField(_("Credly page"), max_length=1000, blank=True, default="")
    state = models.CharField(_("state"), max_length=16, choices=STATE_CHOICES, default=STATE_ACTIVE, db_index=True)
    allow_duplicate_badges = models.BooleanField(_("allows duplicate badges"), default=False)
    synced_at = models.DateTimeField(_("synced at"), default=timezone.now)

    class Meta:
        verbose_name = _("badge template")
        verbose_name_plural = _("badge templates")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_usable(self):
        """Only active templates of an active organization can issue badges."""
        return self.state == self.STATE_ACTIVE and self.organization.is_active
