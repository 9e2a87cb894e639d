"""``manage.py credly_rotate_keys``: re-encrypt stored Credly secrets with the newest key."""
from django.core.management.base import BaseCommand
from django.db import transaction

from openedx_credly.models import CredlyOrganization


class Command(BaseCommand):
    """Re-encrypt the stored Credly secrets with the newest key."""

    help = (
        "Re-encrypt every stored Credly secret with the first key of CREDLY_ENCRYPTION_KEYS. "
        "Run it after putting a new key first; then older keys can be removed."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        rotated = 0
        # Reading decrypts with whichever key fits; writing encrypts with the newest.
        for pk, token, secret in CredlyOrganization.objects.values_list("pk", "api_token", "client_secret"):
            CredlyOrganization.objects.filter(pk=pk).update(api_token=token, client_secret=secret)
            rotated += 1
        self.stdout.write(f"Secrets of {rotated} organization(s) re-encrypted with the newest key.")
