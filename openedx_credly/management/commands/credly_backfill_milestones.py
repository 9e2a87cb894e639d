"""
``manage.py credly_backfill_milestones [--milestone ID ...] [--dry-run]``

Award milestones ("enrolled in N courses", "completed N courses") that learners reached
before the milestone (or the plugin) existed: enrollments and completions are read from
the platform's records (enrollments, certificates, passing grades) into the plugin's own
records, then every learner who reaches a milestone is queued its badge, once.
"""
from django.core.management.base import BaseCommand, CommandError

from openedx_credly.awarding import milestones
from openedx_credly.models import Milestone


class Command(BaseCommand):
    """The milestone backfill; see the module docstring."""

    help = "Award site-wide milestones reached before they existed, from the platform's records."

    def add_arguments(self, parser):
        parser.add_argument("--milestone", type=int, action="append",
                            help="Id of a milestone (repeatable; default: every active milestone).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count the learners who reached each milestone; queue no badge.")

    def handle(self, *args, **options):
        rows = Milestone.objects.filter(is_active=True).select_related("template__organization")
        if options["milestone"]:
            rows = rows.filter(pk__in=options["milestone"])
        selected = list(rows)
        if not selected:
            raise CommandError("No active milestone to backfill: define one in the admin (Credly badges > Milestones).")
        report, found = milestones.backfill(selected, dry_run=options["dry_run"])
        for kind, count in sorted(found.items()):
            self.stdout.write(f"{count} {kind} record(s) read from the platform.")
        for milestone, qualified, queued in report:
            verb = "would be queued" if options["dry_run"] else "queued"
            self.stdout.write(f"{milestone.name} (id {milestone.pk}): {qualified} learner(s) reached it "
                              f"without a badge; {queued if not options['dry_run'] else qualified} badge(s) {verb}.")
