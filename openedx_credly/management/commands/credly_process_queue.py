"""``manage.py credly_process_queue``: send again queued badges whose task was lost."""
from django.conf import settings
from django.core.management.base import BaseCommand

from openedx_credly.issuing import issuance, scheduling


class Command(BaseCommand):
    """Send again the queued badges whose task was lost."""

    help = (
        "Re-enqueue queued badges that no worker holds and whose retry time has come "
        "(after a broker restart or a killed worker). Safe to run at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=int, default=None,
                            help="Seconds a badge must have waited (default: CREDLY_QUEUE_GRACE_PERIOD).")

    def handle(self, *args, **options):
        if options["grace"] is not None:
            settings.CREDLY_QUEUE_GRACE_PERIOD = options["grace"]
        count = scheduling.enqueue(scheduling.ISSUE_BADGE, issuance.due_badge_ids())
        self.stdout.write(f"{count} queued badge(s) sent to the Celery queue.")
