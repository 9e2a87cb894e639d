"""
``manage.py credly_mirror_course_settings [--course COURSE]``

Copy the Credly badge choice of courses' Advanced Settings ("Other Course Settings",
key "credly") into the plugin's mappings, as Studio does on every course publish. For
a first install, or after fixing an entry without publishing again.
"""
from django.core.management.base import BaseCommand, CommandError
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from openedx_credly.course_staff import advanced_settings
from openedx_credly.models import CourseBadgeTemplate
from openedx_credly.platform import get_platform


class Command(BaseCommand):
    """Copy the badge chosen in Studio's Advanced Settings into the plugin's course settings."""

    help = "Mirror the \"credly\" entry of courses' Other Course Settings into their badge template mappings."

    def add_arguments(self, parser):
        parser.add_argument("--course", action="append", dest="courses", metavar="COURSE",
                            help="Course id; repeat for several. Default: every course of the platform.")

    def handle(self, *args, **options):
        if options["courses"]:
            try:
                course_keys = [CourseKey.from_string(course) for course in options["courses"]]
            except InvalidKeyError as error:
                raise CommandError(f"{error} is not a course id (course-v1:Org+Course+Run).") from error
        else:
            course_keys = self._all_courses()
        seen = errors = 0
        for course_key in course_keys:
            seen += 1
            result = advanced_settings.mirror_course(course_key)
            errors += len(result.errors)
            if result.added or result.changed or result.removed or result.errors or options["courses"]:
                self.stdout.write(str(result))
        self.stdout.write(f"{seen} course(s) read, {errors} error(s).")
        if errors:
            raise CommandError(f"{errors} Advanced Settings badge entr(y/ies) could not be used; "
                               "see above and the Credly error log.")

    @staticmethod
    def _all_courses():
        """Every course of the platform, then courses still mapped from Advanced Settings but no longer listed."""
        done = set()
        for course_key in get_platform().iter_course_keys():
            done.add(str(course_key))
            yield course_key
        leftovers = CourseBadgeTemplate.objects.filter(
            source=CourseBadgeTemplate.SOURCE_ADVANCED_SETTINGS).values_list("course_id", flat=True).distinct()
        for course_key in leftovers:
            if str(course_key) not in done:
                yield course_key
