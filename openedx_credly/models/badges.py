"""
The badges learners earned and the attempts to hold each one on Credly.

An achievement becomes an ``IssuedBadge`` row in state ``queued``: the record that the
learner earned the badge, unique per learner, template and course, never reset. Each
attempt to hold one Credly badge for it is a ``BadgeIssuance``; the ``IssuedBadge`` shows
the state of its current one. ``HeldCredlyBadge`` keeps two rows from holding one Credly
badge. Issuances change state only through ``openedx_credly.issuing.issuance``.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from opaque_keys.edx.django.models import CourseKeyField

from openedx_credly.models.organizations import BadgeTemplate, CredlyOrganization


class IssuedBadge(models.Model):
    """
    One badge earned by one learner: queued here first, then sent to Credly.

    .. pii: The recipient's email address and name, as sent to Credly. Blanked when the learner
       retires (USER_RETIRE_LMS_MISC, or manage.py credly_retire_user; see learners/retirement.py); the
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
