"""
HTTP out: the Credly API client, and the client for a connected organization.

The client (``client``, ``auth``, ``errors``) is Django-free, so it can be tested with
``responses`` and reused; ``connections`` builds one for a stored ``CredlyOrganization``
from the settings and its decrypted credential. Nothing here reads or writes our tables
(``.importlinter`` forbids ``models`` and ``errorlog``); it may use ``crypto`` and ``safe_json``.

Typical use::

    client = CredlyClient(
        api_base_url="https://api.credly.com/v1/",
        organization_id=org_id,
        auth=TokenAuth(token),
    )
    badge = client.issue_badge({...})
"""
from .auth import DEFAULT_SCOPES, OAuthClientCredentials, TokenAuth
from .client import CredlyClient, encode_filters, get_session
from .errors import (
    CredlyAuthenticationError,
    CredlyConnectionError,
    CredlyCredentialError,
    CredlyDuplicateBadgeError,
    CredlyError,
    CredlyNotFoundError,
    CredlyPermissionError,
    CredlyRateLimitError,
    CredlyResponseError,
    CredlyServerError,
    CredlyTransientError,
    CredlyValidationError,
    parse_retry_after,
)

__all__ = [
    "DEFAULT_SCOPES",
    "CredlyAuthenticationError",
    "CredlyClient",
    "CredlyConnectionError",
    "CredlyCredentialError",
    "CredlyDuplicateBadgeError",
    "CredlyError",
    "CredlyNotFoundError",
    "CredlyPermissionError",
    "CredlyRateLimitError",
    "CredlyResponseError",
    "CredlyServerError",
    "CredlyTransientError",
    "CredlyValidationError",
    "OAuthClientCredentials",
    "TokenAuth",
    "encode_filters",
    "get_session",
    "parse_retry_after",
]
