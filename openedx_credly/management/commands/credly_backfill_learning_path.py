"""
Award a learning path's badge to learners who already meet its rule.

    ./manage.py lms credly_backfill_learning_path --learning-path 3 [--dry-run]

Completions are read from the platform's records (certificates or passing grades, per
course of the path), stored as progress, and the path's rule evaluated for everyone;
badges go through the usual queue, each once whatever how many times this runs.
"""
from django.core.management.base import BaseCommand, CommandError

from openedx_credly.awarding import learning_paths
from openedx_credly.models import LearningPath


class Command(BaseCommand):
    """Award a learning path's badge to learners who already meet its rule."""

    help = "Award a learning path's badge to learners who already completed it."

    def add_arguments(self, parser):
        parser.add_argument("--learning-path", type=int, required=True, dest="learning_path",
                            help="ID of the learning path (see the Django admin).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would be recorded and awarded; change nothing.")

    def handle(self, *args, **options):
        path = LearningPath.objects.select_related("template__organization").filter(
            pk=options["learning_path"]).first()
        if path is None:
            raise CommandError(f"No learning path has the ID {options['learning_path']}.")
        if not path.is_active:
            raise CommandError(f"The learning path {path.name!r} is inactive; activate it first.")
        if not path.template.is_usable:
            raise CommandError(
                f"The badge template {path.template.name!r} of {path.name!r} cannot issue badges "
                "(not active on Credly, or its organization is inactive)."
            )
        summary = learning_paths.backfill_path(path, dry_run=options["dry_run"])
        prefix = "Dry run: " if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}{path.name}: {summary['courses']} course(s), {summary['progress_found']} earlier "
            f"completion(s) found, {summary['learners_qualified']} learner(s) meet the rule without the badge, "
            f"{summary['badges_queued']} badge(s) queued."
        )
