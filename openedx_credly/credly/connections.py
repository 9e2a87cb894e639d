"""
From a stored organization to a Credly client: hosts, credentials and token cache.

The HTTP client itself (``openedx_credly.credly``) knows nothing of Django; this
module feeds it the settings and the organization's decrypted credential.
"""
import hashlib

from django.conf import settings
from django.core.cache import cache

from openedx_credly.credly import CredlyClient, CredlyCredentialError, OAuthClientCredentials, TokenAuth
from openedx_credly.crypto import is_unreadable


class UnreadableCredentialsError(CredlyCredentialError):
    """The organization's stored credentials cannot be decrypted: an operator must act, like a 401."""


def api_base_url(use_sandbox):
    """The Credly API base for production or the sandbox."""
    return settings.CREDLY_SANDBOX_API_BASE_URL if use_sandbox else settings.CREDLY_API_BASE_URL


def web_base_url(use_sandbox):
    """The Credly web host (badge pages) for production or the sandbox."""
    return settings.CREDLY_SANDBOX_WEB_BASE_URL if use_sandbox else settings.CREDLY_WEB_BASE_URL


def oauth_token_url(use_sandbox):
    """Where OAuth access tokens are requested, for production or the sandbox."""
    return settings.CREDLY_SANDBOX_OAUTH_TOKEN_URL if use_sandbox else settings.CREDLY_OAUTH_TOKEN_URL


def _auth(organization):
    """The organization's Credly authentication: its OAuth client when it has one, else its token."""
    if is_unreadable(organization.api_token) or is_unreadable(organization.client_secret):
        raise UnreadableCredentialsError(
            "The stored credentials cannot be decrypted with CREDLY_ENCRYPTION_KEYS: restore the old key or reconnect."
        )
    if organization.client_id and organization.client_secret:
        # The cache key changes with the client, so a new secret never reuses an old token.
        fingerprint = hashlib.sha256(
            f"{organization.organization_id}:{organization.client_id}:{organization.client_secret}".encode()
        ).hexdigest()[:24]
        return OAuthClientCredentials(
            oauth_token_url(organization.use_sandbox),
            organization.client_id,
            organization.client_secret,
            cache=cache,
            cache_key=f"openedx_credly:oauth:{fingerprint}",
            timeout=settings.CREDLY_REQUEST_TIMEOUT,
        )
    return TokenAuth(organization.api_token)


def client_for(organization):
    """
    A client for ``organization``.

    ``organization`` may be an unsaved ``CredlyOrganization`` (the admin checks a
    credential before saving it) or anything with the same attributes. Raises
    ``UnreadableCredentialsError`` when its stored credentials cannot be decrypted.
    """
    return CredlyClient(
        api_base_url=api_base_url(organization.use_sandbox),
        organization_id=organization.organization_id,
        auth=_auth(organization),
        timeout=settings.CREDLY_REQUEST_TIMEOUT,
    )
