"""
Minimal stand-ins for edx-platform tables, so the platform adapter is tested.

They mirror the fields the adapter reads from GeneratedCertificate,
PersistentCourseGrade, CourseAccessRole, CourseOverview and UserProfile.
"""
from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class Course(models.Model):
    """A course overview: name and the Advanced Settings "Other Course Settings"."""

    course_id = CourseKeyField(max_length=255, unique=True)
    display_name = models.CharField(max_length=255, default="")
    other_course_settings = models.JSONField(default=dict, blank=True)


class Certificate(models.Model):
    """A generated certificate."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)
    status = models.CharField(max_length=32, default="downloadable")
    created_date = models.DateTimeField()
    mode = models.CharField(max_length=32, default="verified")
    grade = models.CharField(max_length=5, blank=True, default="")

    class Meta:
        unique_together = [("user", "course_id")]


class CourseGrade(models.Model):
    """A persistent course grade; passed_timestamp is set once the learner passed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)
    passed_timestamp = models.DateTimeField(null=True, blank=True)
    percent_grade = models.FloatField(default=0.0)
    modified = models.DateTimeField(null=True, blank=True)

    class Meta:
        unique_together = [("user", "course_id")]


class Enrollment(models.Model):
    """A course enrollment (CourseEnrollment)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField()

    class Meta:
        unique_together = [("user", "course_id")]


class CourseRole(models.Model):
    """A course access role (staff, instructor)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)
    role = models.CharField(max_length=64)


class Profile(models.Model):
    """The learner's full name, as UserProfile.name holds it in the LMS."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="standin_profile")
    name = models.CharField(max_length=255, blank=True, default="")


class Preference(models.Model):
    """A user preference (key, value), as UserPreference holds ``account_privacy`` in the LMS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="standin_preferences")
    key = models.CharField(max_length=255, db_index=True)
    value = models.TextField()

    class Meta:
        unique_together = [("user", "key")]
