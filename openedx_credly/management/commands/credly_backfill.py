"""
``manage.py credly_backfill --course COURSE [--since YYYY-MM-DD] [--trigger ...] [--dry-run]``

Badges for learners who earned the course before it awarded one: each goes through the
normal queue, exactly once (a second run adds nothing), with progress and a summary.
"""
from datetime import datetime, time
from datetime import timezone as dt_timezone

from django.core.management.base import BaseCommand, CommandError
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from openedx_credly.awarding import backfill
from openedx_credly.models import CourseBadgeTemplate


class Command(BaseCommand):
    """Award a course's badge to learners who earned the course before it had one."""

    help = (
        "Award the course's Credly badge to learners who already earned the course (certificate or pass), "
        "through the normal queue, once each."
    )

    def add_arguments(self, parser):
        parser.add_argument("--course", required=True, help="Course id, e.g. course-v1:Org+Course+Run.")
        parser.add_argument("--since",
                            help="Only learners who earned the course on or after this date (YYYY-MM-DD, UTC).")
        parser.add_argument("--trigger",
                            choices=[CourseBadgeTemplate.TRIGGER_CERTIFICATE, CourseBadgeTemplate.TRIGGER_PASSING,
                                     CourseBadgeTemplate.TRIGGER_GRADE],
                            help="Only the course's mappings of this trigger (default: all of its active mappings).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be queued; change nothing.")
        parser.add_argument("--progress-every", type=int, default=1000, help="Report progress every N learners.")
        parser.add_argument("--chunk-size", type=int, default=None,
                            help="Learners per database round (default: CREDLY_BACKFILL_CHUNK_SIZE).")

    def handle(self, *args, **options):
        try:
            course_key = CourseKey.from_string(options["course"])
        except InvalidKeyError as error:
            raise CommandError(f"{options['course']!r} is not a course id (course-v1:Org+Course+Run).") from error
        since = None
        if options["since"]:
            try:
                since = datetime.combine(datetime.strptime(options["since"], "%Y-%m-%d").date(), time.min,
                                         tzinfo=dt_timezone.utc)
            except ValueError as error:
                raise CommandError(f"--since {options['since']!r} is not a date in the form YYYY-MM-DD.") from error
        if options["progress_every"] < 1:
            raise CommandError("--progress-every must be at least 1.")

        templates = CourseBadgeTemplate.objects.filter(course_id=course_key, is_active=True)
        if options["trigger"]:
            templates = templates.filter(trigger=options["trigger"])
        if not templates.exists():
            on_trigger = f" on {options['trigger']}" if options["trigger"] else ""
            raise CommandError(f"{course_key} awards no Credly badge{on_trigger}: "
                               "map a badge template to it first (admin, API or Advanced Settings).")

        def progress(result):
            self.stdout.write(
                f"... {result.learners} learner(s): {result.queued} {'to queue' if result.dry_run else 'queued'}, "
                f"{result.already_had} already had one, {result.skipped_total} skipped"
            )

        result = backfill.backfill(
            course_key, trigger=options["trigger"], since=since, dry_run=options["dry_run"],
            chunk_size=options["chunk_size"], progress=progress, progress_every=options["progress_every"],
        )
        if not result.templates:
            raise CommandError(f"None of the badge templates of {course_key} can issue now (archived, or their "
                               "Credly organization is switched off); nothing was queued.")
        names = ", ".join(f"{template.name} ({template.template_id})" for template in result.templates)
        self.stdout.write(f"Badge template(s): {names}")
        if result.dry_run:
            self.stdout.write("Dry run: nothing was recorded or sent.")
        for line in result.summary_lines():
            self.stdout.write(line)
