"""``manage.py credly_refresh_badges``: re-read pending badges from Credly, least recently checked first."""
from django.core.management.base import BaseCommand, CommandError

from openedx_credly.models import CredlyOrganization
from openedx_credly.syncing import refresh


class Command(BaseCommand):
    """Re-read pending badges from Credly, least recently checked first."""

    help = (
        "Bring badges still pending on this site in step with Credly (accepted, rejected, revoked), "
        "least recently checked first. The periodic task does the same where no webhook is registered."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Credly organization ID (UUID); default: every organization.")
        parser.add_argument("--limit", type=int, default=None,
                            help="Refresh at most this many badges (default: every pending badge).")

    def handle(self, *args, **options):
        organization = None
        if options["organization"]:
            organization = CredlyOrganization.objects.filter(organization_id=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No Credly organization with ID {options['organization']} is connected.")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be a positive number.")
        stats = refresh.refresh_pending(organization, options["limit"])
        self.stdout.write(
            f"{stats['changed']} badge(s) changed, {stats['unchanged']} still pending, "
            f"{stats['gone']} no longer on Credly, {stats['errors']} error(s), {stats['skipped']} skipped."
        )
        if stats["errors"] or stats["skipped"]:
            self.stderr.write("Some badges could not be refreshed; run the command again later.")
