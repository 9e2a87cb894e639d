"""``manage.py credly_rotate_keys``: re-encrypt stored Credly secrets with the newest key."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from openedx_credly.crypto import is_unreadable
from openedx_credly.models import CredlyOrganization


class Command(BaseCommand):
    """Re-encrypt the stored Credly secrets with the newest key."""

    help = (
        "Re-encrypt every stored Credly secret with the first key of CREDLY_ENCRYPTION_KEYS. "
        "Run it after putting a new key first; then older keys can be removed."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        rows = list(CredlyOrganization.objects.values_list("pk", "name", "api_token", "client_secret"))
        unreadable = [name for _pk, name, token, secret in rows if is_unreadable(token) or is_unreadable(secret)]
        if unreadable:
            # Writing them back would replace the stored secrets with nothing.
            raise CommandError(
                "Nothing was re-encrypted: the stored credentials of %s cannot be decrypted with "
                "CREDLY_ENCRYPTION_KEYS. Put the old key back in the list (after the new one) and run this again, "
                "or reconnect those organizations in the admin." % ", ".join(sorted(unreadable))
            )
        # Reading decrypts with whichever key fits; writing encrypts with the newest.
        for pk, _name, token, secret in rows:
            CredlyOrganization.objects.filter(pk=pk).update(api_token=token, client_secret=secret)
        self.stdout.write(f"Secrets of {len(rows)} organization(s) re-encrypted with the newest key.")
