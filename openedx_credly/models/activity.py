"""
What the plugin saw and did, for operators: the error log in plain words, the webhook
events Credly sent, and the periodic tasks' heartbeats.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openedx_credly.models.badges import IssuedBadge
from openedx_credly.models.organizations import CredlyOrganization


class CredlyErrorLog(models.Model):
    """
    What went wrong with an organization, in words an operator can act on.

    .. pii: Details of an entry about a learner name her email address, name or username, and
       ``learner`` links the entry to her account. When the learner retires, the entries linked
       to her have those replaced by "[retired learner]" (learners/retirement.py reads them through the
       ``learner`` index, never by searching the text); entries are deleted after
       CREDLY_ERROR_LOG_RETENTION_DAYS.
    .. pii_types: email_address, name, username
    .. pii_retirement: local_api
    """

    KIND_CONNECTION_EXPIRED = "connection_expired"
    KIND_CREDENTIAL_EXPIRING = "credential_expiring"
    KIND_PERMISSION_DENIED = "permission_denied"
    KIND_ISSUANCE_FAILED = "issuance_failed"
    KIND_RATE_LIMITED = "rate_limited"
    KIND_SYNC_FAILED = "sync_failed"
    KIND_LEARNER_DATA = "learner_data"
    KIND_REVOKE_FAILED = "revoke_failed"
    KIND_WEBHOOK = "webhook"
    KIND_CONFIGURATION = "configuration"
    KIND_CHOICES = [
        (KIND_CONNECTION_EXPIRED, _("Connection expired")),
        (KIND_CREDENTIAL_EXPIRING, _("Credentials expire soon")),
        (KIND_PERMISSION_DENIED, _("Permission denied")),
        (KIND_ISSUANCE_FAILED, _("Badge issuance failed")),
        (KIND_RATE_LIMITED, _("Rate limit reached")),
        (KIND_SYNC_FAILED, _("Template sync failed")),
        (KIND_LEARNER_DATA, _("Learner data incomplete")),
        (KIND_REVOKE_FAILED, _("Badge revocation failed")),
        (KIND_WEBHOOK, _("Webhook problem")),
        (KIND_CONFIGURATION, _("Configuration problem")),
    ]

    organization = models.ForeignKey(
        CredlyOrganization, on_delete=models.CASCADE, related_name="error_log", verbose_name=_("organization"),
    )
    created = models.DateTimeField(_("timestamp"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=32, choices=KIND_CHOICES)
    error = models.CharField(_("error"), max_length=255)
    details = models.TextField(_("details"), blank=True, default="")
    badge = models.ForeignKey(
        IssuedBadge, null=True, blank=True, on_delete=models.SET_NULL, related_name="errors", verbose_name=_("badge"),
    )
    # The learner the entry is about (set by errorlog.py), so that her retirement finds her entries
    # through this index. No database constraint: adding one would copy the table on MariaDB
    # (see migration 0013); Django still applies SET_NULL if an account is ever deleted.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
        related_name="+", verbose_name=_("learner"),
    )

    class Meta:
        verbose_name = _("Credly error")
        verbose_name_plural = _("Credly errors")
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.created:%Y-%m-%d %H:%M} {self.error}"


class WebhookEvent(models.Model):
    """
    A webhook notification received from Credly, kept so a redelivery costs nothing.

    .. no_pii: Event ids and types only.
    """

    OUTCOME_RECEIVED = "received"
    OUTCOME_DEFERRED = "deferred"
    OUTCOME_APPLIED = "applied"
    OUTCOME_IGNORED = "ignored"
    OUTCOME_UNCONFIRMED = "unconfirmed"
    OUTCOME_FAILED = "failed"
    OUTCOME_CHOICES = [
        (OUTCOME_RECEIVED, _("Received")),
        (OUTCOME_DEFERRED, _("Deferred (flood limit)")),
        (OUTCOME_APPLIED, _("Applied")),
        (OUTCOME_IGNORED, _("Ignored")),
        (OUTCOME_UNCONFIRMED, _("Not confirmed by Credly")),
        (OUTCOME_FAILED, _("Failed")),
    ]

    organization = models.ForeignKey(
        CredlyOrganization, on_delete=models.CASCADE, related_name="webhook_events", verbose_name=_("organization"),
    )
    event_id = models.CharField(_("event ID"), max_length=64)
    event_type = models.CharField(_("event type"), max_length=64, blank=True, default="")
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    times_received = models.PositiveIntegerField(_("times received"), default=1)
    # When its fetch was last enqueued; empty while it is deferred (see webhooks.fetch_budget).
    queued_at = models.DateTimeField(_("fetch queued at"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=OUTCOME_CHOICES, default=OUTCOME_RECEIVED)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["organization", "event_id"], name="credly_one_webhook_event"),
        ]
        indexes = [
            # The admin's exact search by event id, whatever the organization.
            models.Index(fields=["event_id"], name="credly_hook_event_id"),
            # The flood budget: unconfirmed events of the last hour, and fetches in flight.
            models.Index(fields=["organization", "outcome", "processed_at"], name="credly_hook_org_outcome_done"),
            models.Index(fields=["organization", "outcome", "queued_at"], name="credly_hook_org_outcome_queue"),
            # Pruning by age.
            models.Index(fields=["received_at"], name="credly_hook_received"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id}"


class TaskHeartbeat(models.Model):
    """
    When a periodic task last ran, so that a platform without Celery beat is noticed.

    .. no_pii:
    """

    task = models.CharField(_("task"), max_length=255, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))

    class Meta:
        verbose_name = _("periodic task heartbeat")
        verbose_name_plural = _("periodic task heartbeats")

    def __str__(self):
        return f"{self.task}: {self.last_run_at:%Y-%m-%d %H:%M:%S}"
