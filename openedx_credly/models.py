"""
The durable record of openedx-credly.

An achievement arrives as a platform event and becomes an ``IssuedBadge`` row in
state ``queued``: the record that the learner earned the badge, unique per learner,
template and course, never reset. Each attempt to hold one Credly badge for it is a
``BadgeIssuance``; the ``IssuedBadge`` shows the state of its current one. Issuances
change state only through ``openedx_credly.issuance``.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from opaque_keys.edx.django.models import CourseKeyField

from openedx_credly import award_rules
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


class CourseBadgeTemplate(models.Model):
    """
    The course-level badge template setting: which template a course awards, and when.

    .. no_pii: Course ids and template choices are not personal data.
    """

    TRIGGER_PASSING = "passing"
    TRIGGER_CERTIFICATE = "certificate"
    TRIGGER_GRADE = "grade"
    # What completes a course (learning paths and milestones count these).
    COMPLETION_TRIGGER_CHOICES = [
        (TRIGGER_PASSING, _("when the learner passes the course")),
        (TRIGGER_CERTIFICATE, _("when the learner earns a certificate")),
    ]
    TRIGGER_CHOICES = COMPLETION_TRIGGER_CHOICES + [
        (TRIGGER_GRADE, _("when the learner's course grade reaches the minimum grade")),
    ]

    SOURCE_ADMIN = "admin"
    SOURCE_API = "api"
    SOURCE_ADVANCED_SETTINGS = "advanced_settings"
    SOURCE_CHOICES = [
        (SOURCE_ADMIN, _("Django admin")),
        (SOURCE_API, _("REST API")),
        (SOURCE_ADVANCED_SETTINGS, _("Studio Advanced Settings")),
    ]

    course_id = CourseKeyField(_("course"), max_length=255, db_index=True)
    template = models.ForeignKey(
        BadgeTemplate, on_delete=models.CASCADE, related_name="course_mappings", verbose_name=_("badge template"),
    )
    trigger = models.CharField(_("award"), max_length=16, choices=TRIGGER_CHOICES, default=TRIGGER_CERTIFICATE)
    is_active = models.BooleanField(_("active"), default=True)
    revoke_on_certificate_revoked = models.BooleanField(
        _("revoke with the certificate"), default=False,
        help_text=_("Revoke the badge on Credly when the learner's certificate is revoked."),
    )
    source = models.CharField(_("set from"), max_length=32, choices=SOURCE_CHOICES, default=SOURCE_ADMIN)
    # Award rules (see award_rules.py and docs/award_rules.rst).
    min_grade = models.DecimalField(
        _("minimum grade (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("Award only from this course grade up, in percent (90 for a distinction). Empty: no minimum."),
    )
    max_grade = models.DecimalField(
        _("maximum grade (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("Award only below this grade, in percent (100 includes 100 %). Empty: no maximum."),
    )
    modes = models.JSONField(
        _("certificate modes"), default=list, blank=True,
        help_text=_("Award only certificates of these modes (verified, professional, ...). Empty: any mode."),
    )
    expires_in_months = models.PositiveSmallIntegerField(
        _("expires after (months)"), null=True, blank=True,
        help_text=_("The badge expires this many months after it was earned. Empty: the template's default."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("course badge template")
        verbose_name_plural = _("course badge templates")
        constraints = [
            models.UniqueConstraint(fields=["course_id", "template"], name="credly_one_mapping_per_course_template"),
        ]

    def __str__(self):
        return f"{self.course_id} → {self.template}"

    def clean(self):
        """The award rules must make sense together (see ``award_rules.check_rules``)."""
        try:
            rules = award_rules.check_rules(self.trigger, self.min_grade, self.max_grade, self.modes,
                                            self.expires_in_months)
        except award_rules.RuleError as error:
            raise ValidationError({error.field: error.message} if error.field else error.message,
                                  code=error.code) from error
        for name, value in rules.items():
            setattr(self, name, value)


class IssuedBadge(models.Model):
    """
    One badge earned by one learner: queued here first, then sent to Credly.

    .. pii: The recipient's email address and name, as sent to Credly. Blanked when the learner
       retires (USER_RETIRE_LMS_MISC, or manage.py credly_retire_user; see retirement.py); the
       Credly badge id is kept, and a badge still queued is never sent.
    .. pii_types: email_address, name
    .. pii_retirement: local_api
    """

    STATE_QUEUED = "queued"
    STATE_PENDING = "pending"
    STATE_ACCEPTED = "accepted"
    STATE_REJECTED = "rejected"
    STATE_REVOKED = "revoked"
    STATE_FAILED = "failed"
    STATE_CHOICES = [
        (STATE_QUEUED, _("Queued")),
        (STATE_PENDING, _("Pending acceptance")),
        (STATE_ACCEPTED, _("Accepted")),
        (STATE_REJECTED, _("Rejected")),
        (STATE_REVOKED, _("Revoked")),
        (STATE_FAILED, _("Failed")),
    ]
    # States in which Credly holds the badge.
    ON_CREDLY_STATES = (STATE_PENDING, STATE_ACCEPTED, STATE_REJECTED, STATE_REVOKED)
    # States shown to the learner.
    VISIBLE_STATES = (STATE_PENDING, STATE_ACCEPTED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credly_badges", verbose_name=_("learner"),
    )
    template = models.ForeignKey(
        BadgeTemplate, on_delete=models.CASCADE, related_name="issued_badges", verbose_name=_("badge template"),
    )
    # Empty for a badge that no single course earned (imported from Credly, or a learning path).
    course_id = CourseKeyField(_("course"), max_length=255, blank=True, db_index=True)
    # The learning path that earned the badge (course_id is then empty). SET_NULL: deleting a
    # path must not delete the record of badges already sent, which keeps them from being sent twice.
    learning_path = models.ForeignKey(
        "LearningPath", null=True, blank=True, on_delete=models.SET_NULL, related_name="badges",
        verbose_name=_("learning path"),
    )
    # The site-wide milestone that earned the badge (course_id is then empty); SET_NULL for the same reason.
    milestone = models.ForeignKey(
        "Milestone", null=True, blank=True, on_delete=models.SET_NULL, related_name="badges",
        verbose_name=_("milestone"),
    )
    recipient_email = models.EmailField(_("recipient email"), max_length=254, blank=True, default="")
    recipient_name = models.CharField(_("recipient name"), max_length=255, blank=True, default="")
    state = models.CharField(_("state"), max_length=16, choices=STATE_CHOICES, default=STATE_QUEUED)
    credly_badge_id = models.CharField(_("Credly badge ID"), max_length=64, blank=True, default="", db_index=True)
    accept_url = models.URLField(_("accept URL"), max_length=1000, blank=True, default="")
    badge_url = models.URLField(_("badge URL"), max_length=1000, blank=True, default="")
    image_url = models.URLField(_("image URL"), max_length=1000, blank=True, default="")
    earned_at = models.DateTimeField(_("earned at"), help_text=_("When the learner earned it; sent as issued_at."))
    issued_at = models.DateTimeField(_("issued on Credly at"), null=True, blank=True)
    # Set from the mapping's expires_in_months when the badge is recorded; sent as Credly's expires_at.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    state_updated_at = models.DateTimeField(_("state updated at"), null=True, blank=True)
    trigger_event_type = models.CharField(_("earned through event"), max_length=255, blank=True, default="")
    trigger_event_id = models.CharField(_("event ID"), max_length=64, blank=True, default="")
    # The issuance whose state this row shows; None until the first attempt starts.
    current_issuance = models.ForeignKey(
        "BadgeIssuance", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False,
        verbose_name=_("current issuance"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("issued badge")
        verbose_name_plural = _("issued badges")
        constraints = [
            models.UniqueConstraint(fields=["user", "template", "course_id"], name="credly_one_badge_per_achievement"),
        ]
        indexes = [
            # Badges queued but never tried (the sweeper), pending badges least recently checked (refresh).
            models.Index(fields=["state", "modified"], name="credly_badge_state_modified"),
            models.Index(fields=["user", "state"], name="credly_badge_user_state"),
            # A reconnected organization's queued badges: state, then its templates' ids (issuance.waiting_badge_ids).
            models.Index(fields=["state", "template"], name="credly_badge_state_template"),
            # The admin's list, newest earned first, and its date filter; the same within one state.
            models.Index(fields=["earned_at"], name="credly_badge_earned"),
            models.Index(fields=["state", "earned_at"], name="credly_badge_state_earned"),
            # The admin's exact search by the email address a badge was sent to.
            models.Index(fields=["recipient_email"], name="credly_badge_recipient_email"),
        ]

    def __str__(self):
        return f"{self.template} → {self.user.get_username()} ({self.state})"

    @property
    def last_error(self):
        """What went wrong with the current issuance, if anything."""
        return self.current_issuance.last_error if self.current_issuance_id else ""


class BadgeIssuance(models.Model):
    """
    One attempt to hold one Credly badge for an ``IssuedBadge``: queued, sent, issued, refused or revoked.

    A badge granted again after a revocation gets a new issuance; the old one stays as history.

    .. no_pii: States, counters and Credly ids only.
    """

    # Why a revoked issuance ended: only one the platform took back may be granted again.
    REVOKED_BY_PLATFORM = "platform"
    REVOKED_ON_CREDLY = "credly"

    badge = models.ForeignKey(
        IssuedBadge, on_delete=models.CASCADE, related_name="issuances", verbose_name=_("issued badge"),
    )
    number = models.PositiveIntegerField(_("number"), default=1)
    state = models.CharField(_("state"), max_length=16, choices=IssuedBadge.STATE_CHOICES,
                             default=IssuedBadge.STATE_QUEUED)
    credly_badge_id = models.CharField(_("Credly badge ID"), max_length=64, blank=True, default="")
    # Set before a POST whose answer is not read yet: Credly may hold the badge, look before sending again.
    outcome_unclear = models.BooleanField(_("outcome unclear"), default=False)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    attempts_allowed = models.PositiveIntegerField(_("attempts allowed"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # A worker owns the issuance until this time; see issuance.claim.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    claim_token = models.CharField(max_length=32, blank=True, default="", editable=False)
    # The platform took the achievement back (a revoked certificate) and the revocation is not done yet;
    # cleared if the achievement is granted again first.
    revoke_requested = models.BooleanField(_("revocation requested"), default=False)
    # When the revoking task last sent Credly the revocation (its answer may have been lost): a revoked state
    # read from Credly after that is the platform's, even if the achievement was granted again meanwhile.
    revoke_sent_at = models.DateTimeField(_("revocation sent at"), null=True, blank=True)
    revoked_because = models.CharField(_("revoked because"), max_length=16, blank=True, default="")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("badge issuance")
        verbose_name_plural = _("badge issuances")
        ordering = ["badge", "number"]
        constraints = [
            models.UniqueConstraint(fields=["badge", "number"], name="credly_one_issuance_number"),
        ]
        indexes = [
            # The sweeper's question: queued issuances whose retry time has come.
            models.Index(fields=["state", "next_attempt_at"], name="credly_issuance_state_next"),
            # The sweeper's other question: revocations requested and not done whose time has come.
            models.Index(fields=["revoke_requested", "next_attempt_at"], name="credly_issuance_revoke_next"),
        ]

    def __str__(self):
        return f"{self.badge_id} #{self.number} ({self.state})"


class HeldCredlyBadge(models.Model):
    """
    Which ``IssuedBadge`` holds a Credly badge: one row per Credly badge id of an organization.

    Written with every Credly id an issuance records (``issuance.record_issued``,
    ``issuance.start_recorded``); its unique constraint is the invariant "no two rows hold
    one Credly badge" (empty ids are never written). Kept when the badge is granted again,
    so the old Credly badge stays bound to its achievement.

    .. no_pii: A Credly badge id and two row ids.
    """

    organization = models.ForeignKey(
        CredlyOrganization, on_delete=models.CASCADE, related_name="held_badges", verbose_name=_("organization"),
    )
    credly_badge_id = models.CharField(_("Credly badge ID"), max_length=64)
    badge = models.ForeignKey(
        IssuedBadge, on_delete=models.CASCADE, related_name="held_credly_badges", verbose_name=_("issued badge"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("held Credly badge")
        verbose_name_plural = _("held Credly badges")
        constraints = [
            models.UniqueConstraint(fields=["organization", "credly_badge_id"], name="credly_one_row_per_credly_badge"),
        ]

    def __str__(self):
        return f"{self.credly_badge_id} → {self.badge_id}"


class CredlyErrorLog(models.Model):
    """
    What went wrong with an organization, in words an operator can act on.

    .. pii: Details of an entry about a learner name her email address, name or username, and
       ``learner`` links the entry to her account. When the learner retires, the entries linked
       to her have those replaced by "[retired learner]" (retirement.py reads them through the
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


# ---------------------------------------------------------------------------
# Learning paths: one badge for completing a set of courses (see docs/learning_paths.rst).
# ---------------------------------------------------------------------------


class LearningPath(models.Model):
    """
    A badge template earned by completing a set of courses: all of them, or at least N.

    .. no_pii: A path names courses and a badge template, not people.
    """

    RULE_ALL = "all"
    RULE_AT_LEAST = "at_least"
    RULE_CHOICES = [
        (RULE_ALL, _("every course of the path")),
        (RULE_AT_LEAST, _("at least N courses of the path")),
    ]

    name = models.CharField(
        _("name"), max_length=255,
        help_text=_("Shown to learners next to the badge, where a course badge shows its course."),
    )
    template = models.ForeignKey(
        BadgeTemplate, on_delete=models.CASCADE, related_name="learning_paths", verbose_name=_("badge template"),
    )
    rule = models.CharField(_("badge earned for"), max_length=16, choices=RULE_CHOICES, default=RULE_ALL)
    required_count = models.PositiveIntegerField(
        _("N (courses needed)"), null=True, blank=True,
        help_text=_("With \"at least N courses\": how many courses of the path earn the badge."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive path records no progress and awards nothing."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("learning path")
        verbose_name_plural = _("learning paths")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def required_for(self, course_count):
        """
        How many of the path's ``course_count`` courses earn the badge.

        N is capped at the course count, so removing a course from an "at least N" path
        never makes the badge impossible to earn.
        """
        if self.rule == self.RULE_AT_LEAST and self.required_count:
            return min(self.required_count, course_count)
        return course_count


class LearningPathCourse(models.Model):
    """
    One course of a learning path, and the achievement in it that counts.

    .. no_pii: Course ids and triggers only.
    """

    path = models.ForeignKey(
        LearningPath, on_delete=models.CASCADE, related_name="courses", verbose_name=_("learning path"),
    )
    # Indexed: an event looks its course up here, never scans every path.
    course_id = CourseKeyField(_("course"), max_length=255, db_index=True)
    trigger = models.CharField(
        _("counts"), max_length=16, choices=CourseBadgeTemplate.COMPLETION_TRIGGER_CHOICES,
        default=CourseBadgeTemplate.TRIGGER_CERTIFICATE,
    )

    class Meta:
        verbose_name = _("course of a learning path")
        verbose_name_plural = _("courses of the learning path")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["path", "course_id"], name="credly_one_course_per_path"),
        ]

    def __str__(self):
        return f"{self.path} ← {self.course_id}"


class LearningPathProgress(models.Model):
    """
    A learner completed one course of a learning path (an event, or the platform's records).

    .. no_pii: A user id, a course id, a time and the id of the platform event.
    """

    SOURCE_EVENT = "event"
    SOURCE_PLATFORM = "platform"
    SOURCE_CHOICES = [
        (SOURCE_EVENT, _("platform event")),
        (SOURCE_PLATFORM, _("platform records (certificates, grades)")),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credly_path_progress",
        verbose_name=_("learner"),
    )
    path = models.ForeignKey(
        LearningPath, on_delete=models.CASCADE, related_name="progress", verbose_name=_("learning path"),
    )
    course_id = CourseKeyField(_("course"), max_length=255)
    achieved_at = models.DateTimeField(_("achieved at"))
    source = models.CharField(_("recorded from"), max_length=16, choices=SOURCE_CHOICES, default=SOURCE_EVENT)
    trigger_event_type = models.CharField(_("event type"), max_length=255, blank=True, default="")
    trigger_event_id = models.CharField(_("event ID"), max_length=64, blank=True, default="")
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("learning path progress")
        verbose_name_plural = _("learning path progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "path", "course_id"], name="credly_one_progress_per_course"),
        ]
        indexes = [
            # Re-evaluating a path counts its learners' progress.
            models.Index(fields=["path", "user"], name="credly_path_progress_path_user"),
        ]

    def __str__(self):
        return f"user {self.user_id}: {self.course_id} ({self.path})"


# ---------------------------------------------------------------------------
# Milestones: site-wide badges for "enrolled in N courses", "completed N courses" (docs/award_rules.rst).
# ---------------------------------------------------------------------------


class Milestone(models.Model):
    """
    A badge template earned by enrolling in, or completing, N courses (optionally of some courses only).

    .. no_pii: A rule and a badge template, not people.
    """

    KIND_ENROLLED = "enrolled"
    KIND_COMPLETED = "completed"
    KIND_CHOICES = [
        (KIND_ENROLLED, _("enrolled in N courses")),
        (KIND_COMPLETED, _("completed N courses (passed, or earned the certificate)")),
    ]

    name = models.CharField(_("name"), max_length=255, help_text=_("Shown to learners next to the badge."))
    template = models.ForeignKey(
        BadgeTemplate, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("badge template"),
    )
    kind = models.CharField(_("badge earned when"), max_length=16, choices=KIND_CHOICES, default=KIND_COMPLETED)
    required_count = models.PositiveIntegerField(_("N (courses)"), default=3, validators=[MinValueValidator(1)])
    organization = models.CharField(
        _("only courses of the organization"), max_length=255, blank=True, default="",
        help_text=_("The organization part of the course ID (Org in course-v1:Org+Course+Run). Empty: any."),
    )
    course_key_prefixes = models.TextField(
        _("only courses whose ID starts with"), blank=True, default="",
        help_text=_("One prefix a line, such as course-v1:Org+DS. Empty: any course."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def prefixes(self):
        """The course key prefixes, one per non-empty line."""
        return [line.strip() for line in self.course_key_prefixes.splitlines() if line.strip()]


class CourseEnrollmentRecord(models.Model):
    """
    A learner enrolled in a course (an event, or the platform's records): what "enrolled in N" counts.

    .. no_pii: A user id, a course id and a time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("learner"),
    )
    course_id = CourseKeyField(_("course"), max_length=255)
    enrolled_at = models.DateTimeField(_("enrolled at"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("course enrollment record")
        verbose_name_plural = _("course enrollment records")
        constraints = [
            models.UniqueConstraint(fields=["user", "course_id"], name="credly_one_enrollment_per_course"),
        ]

    def __str__(self):
        return f"user {self.user_id}: {self.course_id}"


class CourseCompletionRecord(models.Model):
    """
    A learner completed a course (passed it, or earned its certificate): what "completed N" counts.

    .. no_pii: A user id, a course id and a time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("learner"),
    )
    course_id = CourseKeyField(_("course"), max_length=255)
    completed_at = models.DateTimeField(_("completed at"))

    class Meta:
        verbose_name = _("course completion record")
        verbose_name_plural = _("course completion records")
        constraints = [
            models.UniqueConstraint(fields=["user", "course_id"], name="credly_one_completion_per_course"),
        ]

    def __str__(self):
        return f"user {self.user_id}: {self.course_id}"


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
