"""``manage.py credly_import_badges``: record the badges learners earned on Credly before the plugin."""
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from openedx_credly.credly import CredlyError
from openedx_credly.models import CredlyOrganization
from openedx_credly.syncing import refresh


class Command(BaseCommand):
    """Record the badges learners earned on Credly before the plugin was installed."""

    help = (
        "Import the pending and accepted badges of this site's learners from Credly: badges of the connected "
        "organizations' templates whose recipient email (or our earner id) matches a learner here. "
        "Safe to run again: known badges are updated, never duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Credly organization ID (UUID); default: every active one.")
        parser.add_argument("--user", help="Import only this learner's badges (by username).")

    def handle(self, *args, **options):
        if options["organization"]:
            organizations = list(CredlyOrganization.objects.filter(organization_id=options["organization"]))
            if not organizations:
                raise CommandError(f"No Credly organization with ID {options['organization']} is connected.")
        else:
            organizations = list(CredlyOrganization.objects.filter(is_active=True, connection_lost_at__isnull=True))
        learner = None
        if options["user"]:
            learner = get_user_model().objects.filter(username=options["user"]).first()
            if learner is None:
                raise CommandError(f"No user named {options['user']}.")
            if not learner.email:
                raise CommandError(f"{learner.username} has no email address to look badges up by.")
        failures = 0
        for organization in organizations:
            stats = Counter()
            try:
                refresh.import_for_organization(organization, learner=learner, stats=stats)
            except CredlyError as error:
                failures += 1
                self.stderr.write(f"{organization.name}: Credly could not be read ({error.message or error}).")
            self.stdout.write(
                f"{organization.name}: {stats[refresh.CREATED]} imported, {stats[refresh.ADOPTED]} matched to "
                f"queued badges, {stats[refresh.UPDATED]} already known (updated), "
                f"{stats[refresh.UNKNOWN_LEARNER]} of unknown learners, {stats[refresh.NOT_OURS]} of other templates, "
                f"{stats[refresh.OTHER_ACHIEVEMENT]} of another achievement than the one recorded here."
            )
        if failures:
            raise CommandError(f"{failures} organization(s) could not be read.")
