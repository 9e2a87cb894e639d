"""``manage.py credly_retire_user``: scrub one learner's personal data from the plugin's tables."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from openedx_credly.learners import retirement


class Command(BaseCommand):
    """What the plugin does on the LMS's retirement signal, for one user, for sites that retire by script."""

    help = (
        "Blank the email addresses and names the Credly plugin holds for one user, scrub them from the error "
        "log and stop the user's queued badges. Credly badge ids are kept."
    )

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user-id", type=int, help="The user's id.")
        who.add_argument("--username", help="The user's username.")
        parser.add_argument(
            "--also-scrub", action="append", default=[], metavar="TEXT",
            help="Another email address or name to scrub from the error log (e.g. the email the account had "
                 "before the platform retired it). May be given several times.",
        )

    def handle(self, *args, **options):
        users = get_user_model().objects.all()
        if options["user_id"] is not None:
            user = users.filter(pk=options["user_id"]).first()
        else:
            user = users.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No such user.")
        counts = retirement.retire_user(user, extra_terms=options["also_scrub"])
        self.stdout.write(
            f"User {user.pk}: {counts['badges_blanked']} badge(s) blanked, {counts['queued_badges_stopped']} "
            f"queued badge(s) stopped, {counts['error_log_entries_scrubbed']} error-log entr(ies) scrubbed."
        )
