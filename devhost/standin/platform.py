"""The platform adapter of the standalone host, reading the stand-in tables."""
from devhost.standin import models
from openedx_credly.platform import (
    ACCOUNT_PRIVACY_PREFERENCE,
    StandalonePlatform,
    default_account_privacy,
    iter_in_key_order,
)


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

    def is_staff_of_any_course(self, user):
        if not user.is_active:
            return False
        return user.is_staff or models.CourseRole.objects.filter(user=user, role__in=("staff", "instructor")).exists()

    def get_full_names(self, users):
        users = list(users)
        names = dict(models.Profile.objects.filter(user__in=[user.pk for user in users]).values_list("user_id", "name"))
        return {user.pk: names.get(user.pk) or user.get_full_name() for user in users}

    def iter_course_keys(self):
        return (course_id for (course_id,) in iter_in_key_order(models.Course.objects.all(), "id", ("course_id",)))

    def get_course_names(self, course_keys):
        rows = models.Course.objects.filter(course_id__in=list(course_keys)).values_list("course_id", "display_name")
        return {str(key): name for key, name in rows}

    def get_other_course_settings(self, course_key):
        course = models.Course.objects.filter(course_id=course_key).first()
        return dict(course.other_course_settings or {}) if course else {}

    def get_user_achievements(self, user_id, course_keys, trigger):
        if not course_keys:
            return {}
        if trigger == "certificate":
            rows = models.Certificate.objects.filter(
                user_id=user_id, course_id__in=list(course_keys), status="downloadable",
            ).values_list("course_id", "created_date")
        else:
            rows = models.CourseGrade.objects.filter(
                user_id=user_id, course_id__in=list(course_keys), passed_timestamp__isnull=False,
            ).values_list("course_id", "passed_timestamp")
        return {str(key): earned_at for key, earned_at in rows}

    def unknown_courses(self, course_keys):
        known = {
            str(key) for key in models.Course.objects.filter(course_id__in=list(course_keys))
            .values_list("course_id", flat=True)
        }
        return [key for key in course_keys if str(key) not in known]

    def iter_course_earners(self, course_key, trigger, since=None):
        if trigger == "certificate":
            rows = models.Certificate.objects.filter(course_id=course_key, status="downloadable")
            if since:
                rows = rows.filter(created_date__gte=since)
            return iter_in_key_order(rows, "id", ("user_id", "created_date"))
        rows = models.CourseGrade.objects.filter(course_id=course_key, passed_timestamp__isnull=False)
        if since:
            rows = rows.filter(passed_timestamp__gte=since)
        return iter_in_key_order(rows, "id", ("user_id", "passed_timestamp"))

    def get_account_privacy(self, user):
        value = models.Preference.objects.filter(user=user, key=ACCOUNT_PRIVACY_PREFERENCE).values_list(
            "value", flat=True).first()
        return value or default_account_privacy()

    def get_user_preference(self, user, key):
        return models.Preference.objects.filter(user=user, key=key).values_list("value", flat=True).first()

    def iter_course_earner_details(self, course_key, trigger, since=None):
        if trigger == "certificate":
            rows = models.Certificate.objects.filter(course_id=course_key, status="downloadable")
            if since:
                rows = rows.filter(created_date__gte=since)
            yield from iter_in_key_order(rows, "id", ("user_id", "created_date", "grade", "mode"))
            return
        rows = models.CourseGrade.objects.filter(course_id=course_key)
        date_field = "modified" if trigger == "grade" else "passed_timestamp"
        if trigger != "grade":
            rows = rows.filter(passed_timestamp__isnull=False)
        if since:
            rows = rows.filter(**{f"{date_field}__gte": since})
        for user_id, earned_at, grade in iter_in_key_order(rows, "id", ("user_id", date_field, "percent_grade")):
            yield user_id, earned_at, grade, None

    def get_course_grade(self, user_id, course_key):
        return models.CourseGrade.objects.filter(user_id=user_id, course_id=course_key).values_list(
            "percent_grade", flat=True).first()

    def get_certificate(self, user_id, course_key):
        row = models.Certificate.objects.filter(user_id=user_id, course_id=course_key, status="downloadable").first()
        return {"grade": row.grade, "mode": row.mode, "created": row.created_date} if row else None

    def iter_enrollments(self):
        return iter_in_key_order(models.Enrollment.objects.filter(is_active=True), "id",
                                 ("user_id", "course_id", "created"))
