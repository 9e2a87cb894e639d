"""
``OpenEdxPlatform``, the only code that reads edx-platform, against stand-ins at the platform's paths.

The stand-in modules are installed in ``sys.modules`` under edx-platform's own module
paths (``common.djangoapps.student.models``, ``lms.djangoapps.certificates.models``…),
with the model, field and function names the platform has (checked against
openedx/edx-platform: ``UserProfile.name``, ``CourseAccessRole.role``/``course_id``,
``CourseOverview.id``/``display_name``, ``GeneratedCertificate.status``/``created_date``,
``PersistentCourseGrade.user_id``/``passed_timestamp``, ``student.roles.GlobalStaff``,
``CourseStaffRole``, ``CourseInstructorRole`` and ``xmodule.modulestore.django.modulestore``).
The adapter's real queries then run on real tables.
"""
import importlib.machinery
import sys
import types
from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.db import connection, models
from django.test import override_settings
from opaque_keys.edx.django.models import CourseKeyField
from opaque_keys.edx.keys import CourseKey

from openedx_credly import platform

COURSE = CourseKey.from_string("course-v1:OpenCraft+CR101+2026")
OTHER_COURSE = CourseKey.from_string("course-v1:OpenCraft+CR202+2026")
EARNED = datetime(2026, 3, 14, 9, 31, tzinfo=timezone.utc)


# ---------------------------------------------------------------- stand-in tables (edx-platform's names)


class UserProfile(models.Model):
    """common.djangoapps.student.models.UserProfile"""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    name = models.CharField(blank=True, max_length=255, db_index=True)

    class Meta:
        app_label = "standin"
        db_table = "auth_userprofile"


class CourseAccessRole(models.Model):
    """common.djangoapps.student.models.CourseAccessRole"""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    org = models.CharField(max_length=64, db_index=True, blank=True)
    course_id = CourseKeyField(max_length=255, db_index=True, blank=True)
    role = models.CharField(max_length=64, db_index=True)

    class Meta:
        app_label = "standin"
        db_table = "student_courseaccessrole"


class CourseOverview(models.Model):
    """openedx.core.djangoapps.content.course_overviews.models.CourseOverview"""

    id = CourseKeyField(db_index=True, primary_key=True, max_length=255)
    display_name = models.TextField(null=True)

    class Meta:
        app_label = "standin"
        db_table = "course_overviews_courseoverview"


class GeneratedCertificate(models.Model):
    """lms.djangoapps.certificates.models.GeneratedCertificate"""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, blank=True, default=None)
    status = models.CharField(max_length=32, default="unavailable")
    created_date = models.DateTimeField()

    class Meta:
        app_label = "standin"
        db_table = "certificates_generatedcertificate"


class PersistentCourseGrade(models.Model):
    """lms.djangoapps.grades.models.PersistentCourseGrade"""

    user_id = models.IntegerField(blank=False, db_index=True)
    course_id = CourseKeyField(blank=False, max_length=255)
    passed_timestamp = models.DateTimeField("Date learner earned a passing grade", blank=True, null=True)

    class Meta:
        app_label = "standin"
        db_table = "grades_persistentcoursegrade"


STANDIN_MODELS = [UserProfile, CourseAccessRole, CourseOverview, GeneratedCertificate, PersistentCourseGrade]


# ---------------------------------------------------------------- stand-in roles and modulestore


class GlobalStaff:
    """common.djangoapps.student.roles.GlobalStaff"""

    def has_user(self, user):
        """As the platform: staff is ``user.is_staff``."""
        return bool(user and user.is_staff)


class _CourseRole:
    """common.djangoapps.student.roles.CourseRole: a CourseAccessRole row for the course and its org."""

    ROLE = None

    def __init__(self, course_key):
        self.course_key = course_key
        self.org = course_key.org

    def has_user(self, user, check_user_activation=True):
        """As the platform's RoleBase.has_user."""
        if check_user_activation and not (user.is_authenticated and user.is_active):
            return False
        return CourseAccessRole.objects.filter(
            user=user, role=self.ROLE, course_id=self.course_key, org=self.org,
        ).exists()


class CourseStaffRole(_CourseRole):
    """common.djangoapps.student.roles.CourseStaffRole"""

    ROLE = "staff"


class CourseInstructorRole(_CourseRole):
    """common.djangoapps.student.roles.CourseInstructorRole"""

    ROLE = "instructor"


class FakeModulestore:
    """What xmodule.modulestore.django.modulestore() returns, for ``get_course``."""

    courses = {}

    def get_course(self, course_key):
        """The course block, with its ``other_course_settings`` field; None for an unknown course."""
        return self.courses.get(str(course_key))


def _module(name, **attributes):
    """An importable in-memory package ``name`` holding ``attributes``."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module.__path__ = []
    module.__dict__.update(attributes)
    return module


STANDIN_MODULES = {
    "common.djangoapps.student.models": {"UserProfile": UserProfile, "CourseAccessRole": CourseAccessRole},
    "common.djangoapps.student.roles": {
        "GlobalStaff": GlobalStaff, "CourseStaffRole": CourseStaffRole, "CourseInstructorRole": CourseInstructorRole,
    },
    "openedx.core.djangoapps.content.course_overviews.models": {"CourseOverview": CourseOverview},
    "lms.djangoapps.certificates.models": {"GeneratedCertificate": GeneratedCertificate},
    "lms.djangoapps.grades.models": {"PersistentCourseGrade": PersistentCourseGrade},
    "xmodule.modulestore.django": {"modulestore": FakeModulestore},
}


@pytest.fixture
def edx_platform(monkeypatch, transactional_db):  # pylint: disable=unused-argument
    """The stand-in platform: modules at edx-platform's paths, and their tables."""
    for dotted, attributes in STANDIN_MODULES.items():
        parts = dotted.split(".")
        for depth in range(1, len(parts)):
            parent = ".".join(parts[:depth])
            if parent not in sys.modules:
                monkeypatch.setitem(sys.modules, parent, _module(parent))
        monkeypatch.setitem(sys.modules, dotted, _module(dotted, **attributes))
    with connection.schema_editor() as editor:
        for model in STANDIN_MODELS:
            editor.create_model(model)
    FakeModulestore.courses = {}
    yield platform.OpenEdxPlatform()
    with connection.schema_editor() as editor:
        for model in reversed(STANDIN_MODELS):
            editor.delete_model(model)


@pytest.fixture
def learners(django_user_model):
    """Three learners: Ada (profile name), Grace (none), and an inactive one."""
    ada = django_user_model.objects.create_user("ada", "ada@example.com", first_name="A.", last_name="L.")
    grace = django_user_model.objects.create_user("grace", "grace@example.com", first_name="Grace", last_name="Hopper")
    gone = django_user_model.objects.create_user("gone", "gone@example.com", is_active=False)
    UserProfile.objects.create(user=ada, name="Ada Lovelace")
    UserProfile.objects.create(user=grace, name="")
    return ada, grace, gone


def test_full_names_come_from_the_profile(edx_platform, learners):
    ada, grace, gone = learners
    assert edx_platform.get_full_name(ada) == "Ada Lovelace"
    assert edx_platform.get_full_name(grace) == "Grace Hopper"  # empty profile name: Django's name
    assert edx_platform.get_full_name(gone) == ""
    assert edx_platform.get_full_names([ada, grace, gone]) == {ada.pk: "Ada Lovelace", grace.pk: "Grace Hopper",
                                                               gone.pk: ""}


def test_course_staff_from_course_access_roles(edx_platform, learners, django_user_model):
    ada, grace, gone = learners
    CourseAccessRole.objects.create(user=ada, org=COURSE.org, course_id=COURSE, role="staff")
    CourseAccessRole.objects.create(user=grace, org=COURSE.org, course_id=COURSE, role="instructor")
    CourseAccessRole.objects.create(user=gone, org=COURSE.org, course_id=COURSE, role="staff")
    beta = django_user_model.objects.create_user("beta", "beta@example.com")
    CourseAccessRole.objects.create(user=beta, org=COURSE.org, course_id=COURSE, role="beta_testers")
    admin = django_user_model.objects.create_user("admin", "admin@example.com", is_staff=True)

    assert edx_platform.is_course_staff(ada, COURSE)
    assert edx_platform.is_course_staff(grace, COURSE)
    assert not edx_platform.is_course_staff(ada, OTHER_COURSE)
    assert not edx_platform.is_course_staff(gone, COURSE)  # inactive accounts never
    assert not edx_platform.is_course_staff(beta, COURSE)
    assert edx_platform.is_course_staff(admin, OTHER_COURSE)  # global staff

    assert edx_platform.is_staff_of_any_course(ada) and edx_platform.is_staff_of_any_course(grace)
    assert edx_platform.is_staff_of_any_course(admin)
    assert not edx_platform.is_staff_of_any_course(beta)
    assert not edx_platform.is_staff_of_any_course(gone)


def test_courses_from_course_overviews(edx_platform):
    CourseOverview.objects.create(id=COURSE, display_name="Credly 101")
    CourseOverview.objects.create(id=OTHER_COURSE, display_name="Credly 202")
    missing = CourseKey.from_string("course-v1:OpenCraft+NOPE+2026")

    assert edx_platform.get_course_names([COURSE, missing]) == {str(COURSE): "Credly 101"}
    assert sorted(str(key) for key in edx_platform.iter_course_keys()) == sorted([str(COURSE), str(OTHER_COURSE)])
    assert edx_platform.unknown_courses([COURSE, missing]) == [missing]


def test_other_course_settings_from_the_modulestore(edx_platform):
    FakeModulestore.courses[str(COURSE)] = types.SimpleNamespace(other_course_settings={"credly": {"x": 1}})
    assert edx_platform.get_other_course_settings(COURSE) == {"credly": {"x": 1}}
    assert edx_platform.get_other_course_settings(OTHER_COURSE) == {}


def test_earners_by_certificate_and_by_grade(edx_platform, learners):
    ada, grace, gone = learners
    GeneratedCertificate.objects.create(user=ada, course_id=COURSE, status="downloadable", created_date=EARNED)
    GeneratedCertificate.objects.create(user=grace, course_id=COURSE, status="notpassing", created_date=EARNED)
    GeneratedCertificate.objects.create(user=gone, course_id=OTHER_COURSE, status="downloadable", created_date=EARNED)
    PersistentCourseGrade.objects.create(user_id=grace.pk, course_id=COURSE, passed_timestamp=EARNED)
    PersistentCourseGrade.objects.create(user_id=ada.pk, course_id=COURSE, passed_timestamp=None)

    assert list(edx_platform.iter_course_earners(COURSE, "certificate")) == [(ada.pk, EARNED)]
    assert list(edx_platform.iter_course_earners(COURSE, "passing")) == [(grace.pk, EARNED)]
    assert not list(edx_platform.iter_course_earners(COURSE, "certificate", since=EARNED + timedelta(days=1)))

    assert edx_platform.get_user_achievements(ada.pk, [COURSE, OTHER_COURSE], "certificate") == {str(COURSE): EARNED}
    assert edx_platform.get_user_achievements(grace.pk, [COURSE], "passing") == {str(COURSE): EARNED}
    assert edx_platform.get_user_achievements(grace.pk, [COURSE], "certificate") == {}
    assert edx_platform.get_user_achievements(ada.pk, [], "passing") == {}


# ---------------------------------------------------------------- choosing the adapter


@pytest.fixture
def fresh_choice():
    """The adapter is chosen once per process; forget the choice around each test."""
    platform._load.cache_clear()  # pylint: disable=protected-access
    yield
    platform._load.cache_clear()  # pylint: disable=protected-access


@pytest.mark.usefixtures("fresh_choice")
def test_an_unrelated_lms_package_does_not_select_the_platform(monkeypatch):
    """A project with its own top-level ``lms`` (even with an ``lms.djangoapps.certificates``) is not edx-platform."""
    for name in ("lms", "lms.djangoapps", "lms.djangoapps.certificates", "lms.djangoapps.certificates.models"):
        monkeypatch.setitem(sys.modules, name, _module(name))
    assert isinstance(platform._load(None), platform.StandalonePlatform)  # pylint: disable=protected-access
    assert not isinstance(platform._load(None), platform.OpenEdxPlatform)  # pylint: disable=protected-access


@pytest.mark.usefixtures("fresh_choice")
def test_edx_platforms_own_apps_select_it(monkeypatch, tmp_path):
    """With the platform's student and course_overviews apps installed, the platform adapter is chosen."""
    for name in ("common", "common.djangoapps", "openedx", "openedx.core", "openedx.core.djangoapps",
                 "openedx.core.djangoapps.content"):
        monkeypatch.setitem(sys.modules, name, _module(name))
    for name in platform.PLATFORM_APPS:
        app_module = _module(name)
        app_module.__path__ = [str(tmp_path)]  # an app needs a place on disk
        monkeypatch.setitem(sys.modules, name, app_module)
    with override_settings(INSTALLED_APPS=settings.INSTALLED_APPS + list(platform.PLATFORM_APPS)):
        assert isinstance(platform._load(None), platform.OpenEdxPlatform)  # pylint: disable=protected-access
    platform._load.cache_clear()  # pylint: disable=protected-access
    assert not isinstance(platform._load(None), platform.OpenEdxPlatform)  # pylint: disable=protected-access


@pytest.mark.usefixtures("fresh_choice")
def test_the_setting_names_an_adapter():
    adapter = platform._load("openedx_credly.platform.StandalonePlatform")  # pylint: disable=protected-access
    assert type(adapter) is platform.StandalonePlatform  # pylint: disable=unidiomatic-typecheck
