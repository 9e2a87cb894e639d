"""
What earns a badge: a course's mappings to templates with their award rules, learning
paths over several courses, and site-wide milestones with the enrollment and completion
facts they count.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from opaque_keys.edx.django.models import CourseKeyField

from openedx_credly.models import rules as rule_checks
from openedx_credly.models.organizations import BadgeTemplate


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
    # Award rules (checked by models/rules.py, evaluated by awarding/award_rules.py; docs/award_rules.rst).
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
        """The award rules must make sense together (see ``models.rules.check_rules``)."""
        try:
            rules = rule_checks.check_rules(self.trigger, self.min_grade, self.max_grade, self.modes,
                                            self.expires_in_months)
        except rule_checks.RuleError as error:
            raise ValidationError({error.field: error.message} if error.field else error.message,
                                  code=error.code) from error
        for name, value in rules.items():
            setattr(self, name, value)


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
