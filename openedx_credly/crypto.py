"""
Encryption of Credly secrets at rest.

Secrets are Fernet tokens (AES-128-CBC + HMAC-SHA256) made with the first key of
``CREDLY_ENCRYPTION_KEYS``; every key of the list can still read, so keys rotate by
putting the new one first and running ``manage.py credly_rotate_keys``. Without that
setting, the key is derived from ``SECRET_KEY``.
"""
import base64
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

log = logging.getLogger(__name__)

# Marks a stored value as ours, so a plain value left by hand is recognised.
PREFIX = "fernet:"


def _fernet_key(material):
    """Turn a configured key into a Fernet key; any string is stretched with HKDF."""
    if isinstance(material, str):
        material = material.encode("utf-8")
    try:
        if len(base64.urlsafe_b64decode(material)) == 32:
            return material
    except (ValueError, TypeError):
        pass
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"openedx-credly secrets").derive(material)
    return base64.urlsafe_b64encode(derived)


def get_cipher():
    """
    The MultiFernet for the keys in force: the configured ones (newest first), then the
    key derived from SECRET_KEY, which only reads, so that secrets stored before
    CREDLY_ENCRYPTION_KEYS was set stay readable until they are rotated.
    """
    keys = list(getattr(settings, "CREDLY_ENCRYPTION_KEYS", None) or []) + [settings.SECRET_KEY]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def encrypt(plaintext):
    """Encrypt a secret; an empty secret stays empty."""
    if not plaintext:
        return ""
    return PREFIX + get_cipher().encrypt(plaintext.encode("utf-8")).decode("ascii")


class SecretUnreadableError(ValueError):
    """A stored secret that no key of CREDLY_ENCRYPTION_KEYS (nor SECRET_KEY) can decrypt."""


class UnreadableSecret(str):
    """
    What a model field holds for a secret it could not decrypt: empty, and recognisable.

    Loading the row still works (the admin can show the organization and let an operator
    reconnect it); using or saving the value raises ``SecretUnreadableError``.
    """


def is_unreadable(value):
    """Whether ``value`` is a stored secret that could not be decrypted."""
    return isinstance(value, UnreadableSecret)


def decrypt(stored):
    """Read a stored secret back; raises ``SecretUnreadableError`` when no key in force can."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return get_cipher().decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise SecretUnreadableError(
            "A stored Credly secret cannot be decrypted with CREDLY_ENCRYPTION_KEYS: restore the old key or reconnect."
        ) from error


class EncryptedTextField(models.TextField):
    """
    A text field whose value is encrypted in the database and plain in Python.

    Serialized (``dumpdata``, fixtures) it stays encrypted: ``value_to_string`` writes the
    Fernet token, and ``to_python`` reads one back (``loaddata``), so secrets never leave
    in clear and a dump loads on a site with the same keys.
    """

    def from_db_value(self, value, expression, connection):  # pylint: disable=unused-argument
        """Decrypt the stored value; one no key can read loads as an ``UnreadableSecret``."""
        try:
            return decrypt(value)
        except SecretUnreadableError:
            log.error("A stored Credly secret cannot be decrypted with the configured CREDLY_ENCRYPTION_KEYS.")
            return UnreadableSecret("")

    # pylint-django shims TextField as ``str`` for inference, so pylint finds neither of the
    # Field methods reached through super() below (both exist on django's TextField).

    def to_python(self, value):
        value = super().to_python(value)  # pylint: disable=no-member
        if isinstance(value, str) and value.startswith(PREFIX):
            return decrypt(value)
        return value

    def value_to_string(self, obj):
        return encrypt(self.value_from_object(obj) or "")

    def get_prep_value(self, value):
        if is_unreadable(value):
            # Writing it back would replace the stored secret with nothing.
            raise SecretUnreadableError("Refusing to overwrite a stored Credly secret that cannot be decrypted.")
        value = super().get_prep_value(value)  # pylint: disable=no-member
        if value is None:
            return value
        return encrypt(value)
