"""``manage.py credly_prune``: delete webhook events and error-log entries past their retention."""
from django.core.management.base import BaseCommand

from openedx_credly.operators import retention


class Command(BaseCommand):
    """What the daily ``prune_records`` task does, on demand."""

    help = (
        "Delete Credly webhook events older than CREDLY_WEBHOOK_EVENT_RETENTION_DAYS and error-log entries "
        "older than CREDLY_ERROR_LOG_RETENTION_DAYS (or the days given here)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--webhook-days", type=int, default=None, help="Keep webhook events this many days.")
        parser.add_argument("--error-log-days", type=int, default=None, help="Keep error-log entries this many days.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted, delete nothing.")

    def handle(self, *args, **options):
        counts = retention.prune(webhook_days=options["webhook_days"], error_log_days=options["error_log_days"],
                                 dry_run=options["dry_run"])
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(f"{verb} {counts['webhook_events']} webhook event(s) and {counts['error_log']} "
                          "error-log entr(ies).")
