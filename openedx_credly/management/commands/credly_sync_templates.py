"""``manage.py credly_sync_templates``: read badge templates from Credly, every page."""
from django.core.management.base import BaseCommand, CommandError

from openedx_credly.models import CredlyOrganization
from openedx_credly.syncing import template_sync


class Command(BaseCommand):
    """Read the badge templates of every organization (or one) from Credly."""

    help = "Sync the badge templates of Credly organizations (all active ones, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Credly organization ID (UUID) to sync; default: every active one.")

    def handle(self, *args, **options):
        organizations = CredlyOrganization.objects.filter(is_active=True)
        if options["organization"]:
            organizations = CredlyOrganization.objects.filter(organization_id=options["organization"])
            if not organizations.exists():
                raise CommandError(f"No Credly organization with ID {options['organization']} is connected.")
        failures = 0
        for organization in organizations:
            result = template_sync.sync_templates(organization)
            if result is None:
                failures += 1
                self.stderr.write(f"{organization.name}: sync failed; see the Credly error log in the admin.")
            else:
                self.stdout.write(f"{organization.name}: {result[0]} active template(s), {result[1]} newly archived.")
        if failures:
            raise CommandError(f"{failures} organization(s) could not be synced.")
