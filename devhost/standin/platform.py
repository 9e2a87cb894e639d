"""The platform adapter of the standalone host, reading the stand-in tables."""
from openedx_credly.platform import StandalonePlatform

from devhost.standin import models


class StandInPlatform(StandalonePlatform):
    """Answers the plugin's questions from the stand-in tables, like the LMS would."""

    def get_full_name(self, user):
        profile = models.Profile.objects.filter(user=user).first()
        return (profile.name if profile else "") or user.get_full_name()

    def is_course_staff(self, user, course_key):
        if not user.is_active:
            return False
        if user.is_staff:
            return True
        return models.CourseRole.objects.filter(
            user=user, course_id=course_key, role__in=("staff", "instructor")
        ).exists()

    def get_course_names(self, course_keys):
        rows = models.Course.objects.filter(course_id__in=list(course_keys)).values_list("course_id", "display_name")
        return {str(key): name for key, name in rows}

    def get_other_course_settings(self, course_key):
        course = models.Course.objects.filter(course_id=course_key).first()
        return dict(course.other_course_settings or {}) if course else {}

    def iter_course_earners(self, course_key, trigger, since=None):
        if trigger == "certificate":
            rows = models.Certificate.objects.filter(course_id=course_key, status="downloadable")
            if since:
                rows = rows.filter(created_date__gte=since)
            return rows.order_by("id").values_list("user_id", "created_date").iterator(chunk_size=2000)
        rows = models.CourseGrade.objects.filter(course_id=course_key, passed_timestamp__isnull=False)
        if since:
            rows = rows.filter(passed_timestamp__gte=since)
        return rows.order_by("id").values_list("user_id", "passed_timestamp").iterator(chunk_size=2000)
