"""
The one place that knows about edx-platform.

Every read of platform data (learner names, course roles, course names, certificates,
grades, Advanced Settings) goes through the adapter returned by ``get_platform()``.
Inside the LMS or Studio that is ``OpenEdxPlatform``, whose imports are lazy because
they only work there. Elsewhere (tests, the demo) the ``CREDLY_PLATFORM_ADAPTER``
setting names a stand-in; with neither, ``StandalonePlatform`` keeps the plugin usable
with Django's own user model.
"""
import functools
import logging

from django.apps import apps
from django.conf import settings
from django.db.models import F
from django.dispatch import Signal
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class StandalonePlatform:
    """Platform data as far as plain Django can tell it."""

    # Its methods take the arguments of the adapter's interface; most stand-ins need none of them.
    # pylint: disable=unused-argument

    def get_full_name(self, user):
        """The learner's full name as the platform shows it."""
        return user.get_full_name()

    def is_course_staff(self, user, course_key):
        """Whether ``user`` may manage the course's badge settings."""
        return bool(user.is_active and user.is_staff)

    def get_course_names(self, course_keys):
        """Display names by course key; unknown courses are left out."""
        return {}

    def get_course_url(self, course_key):
        """Public URL of the course's about page, sent to Credly as evidence."""
        root = getattr(settings, "CREDLY_LMS_ROOT_URL", None) or getattr(settings, "LMS_ROOT_URL", "")
        return f"{root.rstrip('/')}/courses/{course_key}/about" if root else ""

    def get_other_course_settings(self, course_key):
        """The course's Advanced Settings "Other Course Settings" dict."""
        return {}

    def is_staff_of_any_course(self, user):
        """Whether ``user`` is global staff or holds the staff or instructor role of at least one course."""
        return bool(user.is_active and user.is_staff)

    def get_full_names(self, users):
        """Full names by user id for many users at once (one query per call, not per user)."""
        return {user.pk: user.get_full_name() for user in users}

    def iter_course_keys(self):
        """Yield the key of every course the platform knows (for operators' bulk commands)."""
        return iter(())

    def iter_course_earners(self, course_key, trigger, since=None):
        """
        Yield ``(user_id, earned_at)`` for learners who already earned the course.

        ``trigger`` is ``"certificate"`` (a downloadable certificate) or ``"passing"``.
        Implementations stream: they never load every row at once.
        """
        return iter(())

    def get_user_achievements(self, user_id, course_keys, trigger):
        """
        When one learner earned each of ``course_keys``: ``{str(course_key): earned_at}``.

        Same ``trigger`` meaning as ``iter_course_earners``; courses not earned are left out.
        Learning paths use it to count courses completed before the path existed.
        """
        return {}

    def iter_course_earner_details(self, course_key, trigger, since=None):
        """
        Yield ``(user_id, earned_at, grade, mode)`` like ``iter_course_earners``, for award rules.

        ``grade`` is the platform's fraction (the certificate's own grade for ``"certificate"``,
        the persistent course grade otherwise) and ``mode`` the certificate mode (None when
        unknown). ``trigger`` may also be ``"grade"``: every learner with a course grade,
        dated when the grade was last computed.
        """
        if trigger == "grade":
            return iter(())
        return ((user_id, earned_at, None, None) for user_id, earned_at in
                self.iter_course_earners(course_key, trigger, since))

    def get_course_grade(self, user_id, course_key):
        """The learner's persistent course grade, a fraction from 0 to 1, or None."""
        return None

    def get_certificate(self, user_id, course_key):
        """The learner's downloadable certificate as ``{"grade", "mode", "created"}``, or None."""
        return None

    def iter_enrollments(self):
        """Yield ``(user_id, course_key, created)`` of every active enrollment (milestone backfill)."""
        return iter(())

    def unknown_courses(self, course_keys):
        """
        The keys among ``course_keys`` that name no course on the platform.

        Without a course catalog nothing can be told apart, so every key is trusted.
        """
        return []

    def get_account_privacy(self, user):
        """
        Who may see the learner's profile: ``"all_users"``, ``"private"`` (or ``"custom"``).

        The learner's ``account_privacy`` preference, else the site's
        ``ACCOUNT_VISIBILITY_CONFIGURATION["default_visibility"]``. Without the platform's
        preferences there is only that default, and ``"private"`` when it is not set.
        """
        return default_account_privacy()

    def get_user_preference(self, user, key):
        """The value of the learner's preference ``key`` (e.g. ``visibility.credly_badges``), or None."""
        return None


class OpenEdxPlatform(StandalonePlatform):
    """Platform data read from edx-platform's own models, inside the LMS or Studio."""

    # edx-platform's modules exist only inside the LMS and Studio: each method imports what it
    # reads when it is called, never when the plugin loads.
    # pylint: disable=import-error,import-outside-toplevel

    def get_full_name(self, user):
        from common.djangoapps.student.models import UserProfile

        profile = UserProfile.objects.filter(user=user).only("name").first()
        return (profile.name if profile else "") or user.get_full_name()

    def is_course_staff(self, user, course_key):
        from common.djangoapps.student.roles import CourseInstructorRole, CourseStaffRole, GlobalStaff

        if not user.is_active:
            return False
        return (
            GlobalStaff().has_user(user)
            or CourseStaffRole(course_key).has_user(user)
            or CourseInstructorRole(course_key).has_user(user)
        )

    def is_staff_of_any_course(self, user):
        from common.djangoapps.student.models import CourseAccessRole
        from common.djangoapps.student.roles import GlobalStaff

        if not user.is_active:
            return False
        return GlobalStaff().has_user(user) or CourseAccessRole.objects.filter(
            user=user, role__in=("staff", "instructor")
        ).exists()

    def get_full_names(self, users):
        from common.djangoapps.student.models import UserProfile

        users = list(users)
        names = dict(UserProfile.objects.filter(user_id__in=[user.pk for user in users]).values_list("user_id", "name"))
        return {user.pk: names.get(user.pk) or user.get_full_name() for user in users}

    def iter_course_keys(self):
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        yield from iter_in_key_order(CourseOverview.objects.all(), "id", ())

    def get_course_names(self, course_keys):
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        rows = CourseOverview.objects.filter(id__in=list(course_keys)).values_list("id", "display_name")
        return {str(key): name for key, name in rows}

    def get_other_course_settings(self, course_key):
        from xmodule.modulestore.django import modulestore

        course = modulestore().get_course(course_key)
        return dict(getattr(course, "other_course_settings", None) or {}) if course else {}

    def iter_course_earners(self, course_key, trigger, since=None):
        if trigger == "certificate":
            from lms.djangoapps.certificates.models import GeneratedCertificate

            rows = GeneratedCertificate.objects.filter(course_id=course_key, status="downloadable")
            if since:
                rows = rows.filter(created_date__gte=since)
            yield from iter_in_key_order(rows, "id", ("user_id", "created_date"))
        else:
            from lms.djangoapps.grades.models import PersistentCourseGrade

            rows = PersistentCourseGrade.objects.filter(course_id=course_key, passed_timestamp__isnull=False)
            if since:
                rows = rows.filter(passed_timestamp__gte=since)
            yield from iter_in_key_order(rows, "id", ("user_id", "passed_timestamp"))

    def get_user_achievements(self, user_id, course_keys, trigger):
        if not course_keys:
            return {}
        if trigger == "certificate":
            from lms.djangoapps.certificates.models import GeneratedCertificate

            rows = GeneratedCertificate.objects.filter(
                user_id=user_id, course_id__in=list(course_keys), status="downloadable",
            ).values_list("course_id", "created_date")
        else:
            from lms.djangoapps.grades.models import PersistentCourseGrade

            rows = PersistentCourseGrade.objects.filter(
                user_id=user_id, course_id__in=list(course_keys), passed_timestamp__isnull=False,
            ).values_list("course_id", "passed_timestamp")
        return {str(key): earned_at for key, earned_at in rows}

    def iter_course_earner_details(self, course_key, trigger, since=None):
        if trigger == "certificate":
            from lms.djangoapps.certificates.models import GeneratedCertificate

            rows = GeneratedCertificate.objects.filter(course_id=course_key, status="downloadable")
            if since:
                rows = rows.filter(created_date__gte=since)
            yield from iter_in_key_order(rows, "id", ("user_id", "created_date", "grade", "mode"))
            return
        from lms.djangoapps.grades.models import PersistentCourseGrade

        rows = PersistentCourseGrade.objects.filter(course_id=course_key)
        date_field = "modified" if trigger == "grade" else "passed_timestamp"
        if trigger != "grade":
            rows = rows.filter(passed_timestamp__isnull=False)
        if since:
            rows = rows.filter(**{f"{date_field}__gte": since})
        for user_id, earned_at, grade in iter_in_key_order(rows, "id", ("user_id", date_field, "percent_grade")):
            yield user_id, earned_at, grade, None

    def get_course_grade(self, user_id, course_key):
        from lms.djangoapps.grades.models import PersistentCourseGrade

        return PersistentCourseGrade.objects.filter(user_id=user_id, course_id=course_key).values_list(
            "percent_grade", flat=True).first()

    def get_certificate(self, user_id, course_key):
        from lms.djangoapps.certificates.models import GeneratedCertificate

        return GeneratedCertificate.objects.filter(
            user_id=user_id, course_id=course_key, status="downloadable",
        ).values("grade", "mode", created=F("created_date")).first()

    def iter_enrollments(self):
        from common.djangoapps.student.models import CourseEnrollment

        yield from iter_in_key_order(CourseEnrollment.objects.filter(is_active=True), "id",
                                     ("user_id", "course_id", "created"))

    def unknown_courses(self, course_keys):
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        rows = CourseOverview.objects.filter(id__in=list(course_keys)).values_list("id", flat=True)
        known = {str(key) for key in rows}
        return [key for key in course_keys if str(key) not in known]

    def get_account_privacy(self, user):
        from common.djangoapps.student.models import UserProfile
        from openedx.core.djangoapps.user_api.preferences.api import get_user_preference

        # The platform's own rule (user_api.accounts.serializers.get_profile_visibility):
        # a learner who needs parental consent is private whatever the preference says.
        profile = UserProfile.objects.filter(user=user).first()
        if profile is not None and profile.requires_parental_consent():
            return ACCOUNT_PRIVATE
        # Read as the owner: the preferences API lets a user read their own preferences.
        return get_user_preference(user, ACCOUNT_PRIVACY_PREFERENCE) or default_account_privacy()

    def get_user_preference(self, user, key):
        from openedx.core.djangoapps.user_api.preferences.api import get_user_preference

        return get_user_preference(user, key)


ACCOUNT_PRIVACY_PREFERENCE = "account_privacy"
ACCOUNT_ALL_USERS = "all_users"
ACCOUNT_PRIVATE = "private"
# What frontend-app-profile sets on the owner's first visit: each field follows its own
# ``visibility.<field>`` preference.
ACCOUNT_CUSTOM = "custom"
# Our field's preference under ``custom``, beside the profile's ``visibility.course_certificates``.
BADGES_VISIBILITY_PREFERENCE = "visibility.credly_badges"


def default_account_privacy():
    """The site's default profile visibility (``ACCOUNT_VISIBILITY_CONFIGURATION``), ``"private"`` if unset."""
    configuration = getattr(settings, "ACCOUNT_VISIBILITY_CONFIGURATION", None) or {}
    return configuration.get("default_visibility") or ACCOUNT_PRIVATE


def iter_in_key_order(queryset, key, fields, chunk_size=2000):
    """
    Yield ``fields`` of every row of ``queryset`` (the key itself when ``fields`` is empty),
    one bounded query per ``chunk_size`` rows.

    Keyset pagination on ``key`` (unique, indexed): MySQL drivers buffer a whole result
    set in memory even under ``.iterator()``, so a course with 100,000 certificates is
    read in slices instead.
    """
    last = None
    while True:
        page = queryset.order_by(key)
        if last is not None:
            page = page.filter(**{f"{key}__gt": last})
        rows = list(page.values_list(key, *fields)[:chunk_size])
        for row in rows:
            yield row[1:] if fields else row[0]
        if len(rows) < chunk_size:
            return
        last = rows[-1][0]


# Django apps of edx-platform itself, installed in the LMS and in Studio. A package named
# ``lms`` on the path proves nothing (any project may have one); these apps installed do.
PLATFORM_APPS = ("common.djangoapps.student", "openedx.core.djangoapps.content.course_overviews")


def _in_edx_platform():
    """Whether this process is the LMS or Studio: edx-platform's own apps are installed."""
    return all(apps.is_installed(name) for name in PLATFORM_APPS)


@functools.lru_cache(maxsize=None)
def _load(adapter_path):
    """The platform adapter: ``adapter_path``'s class if set, else the one matching this process (cached)."""
    if adapter_path:
        return import_string(adapter_path)()
    if _in_edx_platform():
        return OpenEdxPlatform()
    return StandalonePlatform()


def get_platform():
    """The adapter for the platform this code runs in."""
    return _load(getattr(settings, "CREDLY_PLATFORM_ADAPTER", None))


# Outside the platform, the stand-in that tests and the standalone host send.
USER_RETIRE_LMS_MISC = Signal()


def get_retirement_signal():
    """
    The LMS's ``USER_RETIRE_LMS_MISC`` signal (sent with ``user=`` when an account is retired).

    Outside edx-platform (and in Studio, where the module is absent too) the module's
    stand-in ``Signal``, as platform-plugin-aspects does.
    """
    try:
        # pylint: disable=import-outside-toplevel
        from openedx.core.djangoapps.user_api.accounts.signals import USER_RETIRE_LMS_MISC as signal
    except ImportError:
        return USER_RETIRE_LMS_MISC
    return signal
