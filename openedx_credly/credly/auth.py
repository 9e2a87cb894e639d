"""
The two ways of authenticating to Credly, as ``requests`` auth objects.

* :class:`TokenAuth`: an organization's authorization token, sent as HTTP Basic
  with the token as user name and an empty password.
* :class:`OAuthClientCredentials`: an OAuth 2.0 client (id and secret) exchanged
  for short-lived bearer tokens at Credly's token endpoint, which is on the *web*
  host (``https://www.credly.com/oauth/token``), not the API host.

Neither object ever shows a secret: their ``repr`` omits it, nothing is logged but
status codes and timings, and errors carry no part of the form or headers.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import requests

from openedx_credly import safe_json

from .client import DEFAULT_TIMEOUT, get_session
from .errors import (
    CredlyAuthenticationError,
    CredlyConnectionError,
    CredlyRateLimitError,
    CredlyResponseError,
    CredlyServerError,
    extract_error_message,
    parse_retry_after,
)

log = logging.getLogger("openedx_credly.credly")

#: Scopes asked for by default: issuing and reading badges, reading templates, and
#: reading webhook events.
DEFAULT_SCOPES = "issued_badges badge_templates events"

#: Seconds before an access token's announced expiry at which a new one is fetched,
#: so that a token never expires between being read and reaching Credly.
REFRESH_MARGIN = 60

#: Lifetime assumed when the token endpoint does not say (``expires_in`` missing or
#: unreadable). Being wrong costs one 401 and one refresh.
DEFAULT_TOKEN_LIFETIME = 3600


class TokenCache(Protocol):
    """The part of Django's cache API that :class:`OAuthClientCredentials` uses."""

    def get(self, key: str) -> Any:
        """Return the value stored under ``key``, or ``None``."""

    def set(self, key: str, value: Any, timeout: int) -> Any:
        """Store ``value`` under ``key`` for ``timeout`` seconds."""

    def delete(self, key: str) -> Any:
        """Forget ``key``."""


class TokenAuth(requests.auth.AuthBase):
    """
    Authenticate with an organization's authorization token.

    Sends ``Authorization: Basic base64("<token>:")``. Surrounding whitespace is
    removed from the token, because tokens pasted into an admin form often carry a
    trailing newline, and Credly would refuse them with a puzzling 401.
    """

    def __init__(self, token: str):
        if not isinstance(token, str) or not token.strip():
            raise ValueError("A Credly authorization token is required")
        credentials = f"{token.strip()}:".encode("utf-8")
        # Only the finished header is kept, so the raw token is not an attribute.
        self._header = "Basic " + base64.b64encode(credentials).decode("ascii")

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenAuth) and other._header == self._header

    def __hash__(self) -> int:
        return hash((TokenAuth, self._header))

    def __repr__(self) -> str:
        return "TokenAuth(token='***')"


class _MemoryTokenStore:
    """A minimal in-process stand-in for a Django cache, for one auth object."""

    def __init__(self):
        self._values: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self._values.get(key)

    def set(self, key: str, value: Any, timeout: int) -> None:  # pylint: disable=unused-argument
        # Expiry is checked by the caller against the stored ``refresh_at``.
        self._values[key] = value

    def delete(self, key: str) -> None:
        self._values.pop(key, None)


class OAuthClientCredentials(requests.auth.AuthBase):
    """
    Authenticate with an OAuth 2.0 client, using the client-credentials grant.

    Sends ``Authorization: Bearer <access token>``. The access token is fetched on
    first use and kept in ``cache`` (any object with Django's ``get``/``set``/
    ``delete``; by default a store private to this object) until
    :data:`REFRESH_MARGIN` seconds before it expires. Sharing a Django cache lets every
    worker process use one token instead of each fetching its own.

    :meth:`invalidate` forgets the token; :class:`~.client.CredlyClient` calls it
    when the API answers 401, then retries once.

    A refused token request raises :class:`~.errors.CredlyAuthenticationError`; a
    rate-limited, failing or unreachable token endpoint raises the same transient
    errors as the API.

    ``clock`` returns the current Unix time; tests replace it. Wall-clock time (not a
    monotonic clock) because the expiry may be read by another process.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        cache: TokenCache | None = None,
        cache_key: str | None = None,
        scopes: str | Iterable[str] = DEFAULT_SCOPES,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ):
        if not token_url or not str(token_url).startswith(("https://", "http://")):
            raise ValueError(f"The Credly OAuth token URL must be an http(s) URL, got {token_url!r}")
        if not client_id or not client_secret:
            raise ValueError("A Credly OAuth client id and client secret are required")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = scopes if isinstance(scopes, str) else " ".join(scopes)
        self.timeout = timeout
        self._session = session
        self._clock = clock
        self._cache: TokenCache = cache if cache is not None else _MemoryTokenStore()
        self.cache_key = cache_key or self._default_cache_key()
        # Serialises token fetches of this object, so concurrent threads that all
        # find the cache empty make one request to the token endpoint, not many.
        self._fetch_lock = threading.Lock()

    def _default_cache_key(self) -> str:
        """A key per (token URL, client, scopes); hashed to stay short and opaque."""
        identity = "\n".join((self.token_url, self.client_id, self.scopes)).encode("utf-8")
        return "openedx_credly:oauth_token:" + hashlib.sha256(identity).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.get_access_token()}"
        return request

    # ----------------------------------------------------------------- token

    def get_access_token(self) -> str:
        """Return a valid access token, fetching a new one when needed."""
        token = self._read_cached_token()
        if token:
            return token
        with self._fetch_lock:
            token = self._read_cached_token()  # fetched by another thread meanwhile?
            if token:
                return token
            token, lifetime = self._fetch_token()
            self._store_token(token, lifetime)
            return token

    def invalidate(self) -> None:
        """Forget the cached access token, so the next request fetches a new one."""
        try:
            self._cache.delete(self.cache_key)
        except Exception as exc:  # pylint: disable=broad-except
            log.warning("Could not drop the Credly OAuth token from the cache: %s", type(exc).__name__)

    def _read_cached_token(self) -> str | None:
        """The cached access token while it is fresh enough to use, else None."""
        # A broken cache (Redis down) must not stop badge issuing: treat it as a miss.
        try:
            entry = self._cache.get(self.cache_key)
        except Exception as exc:  # pylint: disable=broad-except
            log.warning("Could not read the Credly OAuth token from the cache: %s", type(exc).__name__)
            return None
        if not isinstance(entry, dict):
            return None
        token, refresh_at = entry.get("access_token"), entry.get("refresh_at")
        if not isinstance(token, str) or not token or not isinstance(refresh_at, (int, float)):
            return None
        if self._clock() >= refresh_at:
            return None
        return token

    def _store_token(self, token: str, lifetime: float) -> None:
        """Cache the access token until shortly before it expires."""
        # Refresh a margin before expiry; for very short-lived tokens, halfway.
        keep_for = lifetime - min(REFRESH_MARGIN, lifetime / 2)
        if keep_for < 1:
            return  # not worth caching: fetch again next time
        entry = {"access_token": token, "refresh_at": self._clock() + keep_for}
        try:
            self._cache.set(self.cache_key, entry, int(keep_for))
        except Exception as exc:  # pylint: disable=broad-except
            log.warning("Could not store the Credly OAuth token in the cache: %s", type(exc).__name__)

    def _fetch_token(self) -> tuple[str, float]:
        """Ask the token endpoint for a new access token; return it and its lifetime."""
        form = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "grant_type": "client_credentials",
            "scope": self.scopes,
        }
        session = self._session if self._session is not None else get_session()
        started = time.monotonic()
        try:
            response = session.post(
                self.token_url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                # A redirect could re-post the client secret to another host (307/308).
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            log.debug("Credly OAuth token request failed: %s", type(exc).__name__)
            raise CredlyConnectionError.from_exception(exc, operation="POST OAuth token") from exc
        elapsed_ms = (time.monotonic() - started) * 1000
        log.debug("Credly POST OAuth token -> %s in %.0f ms", response.status_code, elapsed_ms)
        return self._read_token_response(response)

    def _read_token_response(self, response: requests.Response) -> tuple[str, float]:
        """
        Turn the token endpoint's answer into ``(access_token, lifetime_seconds)``.

        Errors carry no ``response_data``: a token answer is the one body that may hold
        a credential.
        """
        status = response.status_code
        try:
            payload = safe_json.loads(response.content)
        except ValueError:
            payload = None

        if status >= 300:
            message = self._redact(extract_error_message(payload, status))
            if status == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                raise CredlyRateLimitError(message, retry_after=retry_after, status_code=status)
            if status >= 500:
                raise CredlyServerError(message, status_code=status)
            if status < 400:
                raise CredlyAuthenticationError(
                    "The Credly OAuth token endpoint redirected; check the token URL setting",
                    status_code=status,
                )
            # 400 invalid_client / invalid_grant, 401, 403, and 404 from a wrong
            # token URL: all need an operator to fix the connection.
            raise CredlyAuthenticationError(
                f"Credly refused the OAuth client credentials: {message}", status_code=status
            )
        if status < 200:
            raise CredlyResponseError(
                f"Unexpected HTTP {status} from the Credly OAuth token endpoint", status_code=status
            )

        # The documented answer is flat; some deployments wrap it in Credly's envelope.
        body = payload
        if isinstance(payload, dict) and isinstance(payload.get("data"), dict) and "access_token" not in payload:
            body = payload["data"]
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise CredlyResponseError(
                "The Credly OAuth token endpoint answered without an access token", status_code=status
            )

        lifetime = _as_seconds(body.get("expires_in"))
        if lifetime is None:
            lifetime = DEFAULT_TOKEN_LIFETIME
        log.debug("Credly OAuth access token obtained, valid for %.0f s", lifetime)
        return token, lifetime

    def _redact(self, text: str) -> str:
        """Remove the client secret from ``text``, should a server ever echo it."""
        return text.replace(self._client_secret, "***") if self._client_secret in text else text


def _as_seconds(value: Any) -> float | None:
    """``expires_in`` as a non-negative number of seconds, or ``None`` if unreadable."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds != seconds or seconds < 0 or seconds == float("inf"):  # pylint: disable=comparison-with-itself
        return None
    return seconds
