"""
Exceptions raised by the Credly client, one class per way a call can fail.

Callers (Celery tasks, the connection check, the webhook handler) decide what to do
from the class alone, following the error table of the Credly contract:

* ``CredlyCredentialError`` (401/403): stop issuing for the organization until an
  operator reconnects; keep the work queued.
* ``CredlyNotFoundError`` (404) and ``CredlyValidationError`` (422, other 4xx): log
  Credly's message and do not retry; ``CredlyDuplicateBadgeError`` is not a failure at
  all, the badge already exists and should be looked up.
* ``CredlyRateLimitError`` (429): pause the organization for ``retry_after`` seconds.
* ``CredlyTransientError`` (5xx, network trouble, a garbled success answer): retry
  with backoff.

No exception ever carries a credential: messages come from Credly's answer body or
are written here, never from request headers or the OAuth form.
"""
from __future__ import annotations

import email.utils
import time
from typing import Any

import requests

#: Longest message kept from a Credly answer; longer ones are cut, because an HTML
#: error page or a long validation list must not flood logs or database columns.
MAX_MESSAGE_LENGTH = 500


class CredlyError(Exception):
    """
    Base class of every failure reported by the Credly client.

    Attributes:
        status_code: the HTTP status Credly answered with, or ``None`` when no answer
            arrived (timeout, connection error).
        message: Credly's own message (``data.message``) or a short description;
            never contains a credential.
        response_data: the parsed JSON body of the answer, or ``None``.
    """

    def __init__(self, message: str, *, status_code: int | None = None, response_data: Any = None):
        # Only ``message`` goes to ``args``: Celery pickles exceptions, and pickling
        # calls ``cls(*args)`` then restores the keyword attributes from ``__dict__``.
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.response_data = response_data

    def __str__(self) -> str:
        if self.status_code is None:
            return self.message
        return f"HTTP {self.status_code}: {self.message}"

    def __repr__(self) -> str:
        # ``response_data`` is left out on purpose: it may hold learner data (emails).
        return f"{type(self).__name__}(status_code={self.status_code!r}, message={self.message!r})"


class CredlyCredentialError(CredlyError):
    """The credential was refused: an operator must reconnect the organization."""


class CredlyAuthenticationError(CredlyCredentialError):
    """401: the token or OAuth client is wrong, expired or revoked."""


class CredlyPermissionError(CredlyCredentialError):
    """403: the credential is valid but lacks the permission for this call."""


class CredlyNotFoundError(CredlyError):
    """404: unknown organization, badge template, badge or event."""


class CredlyValidationError(CredlyError):
    """422 or any other 4xx not listed elsewhere: Credly refused the request as sent."""


class CredlyDuplicateBadgeError(CredlyValidationError):
    """
    422 because the earner already holds a badge from this template.

    Not a failure for the caller: look the existing badge up and record it.
    """


class CredlyRateLimitError(CredlyError):
    """
    429: too many requests.

    ``retry_after`` is how many seconds Credly asked us to wait (from the
    ``Retry-After`` header, as seconds or an HTTP date), or ``None`` when it did not
    say; the caller then chooses its own pause.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = 429,
        response_data: Any = None,
    ):
        super().__init__(message, status_code=status_code, response_data=response_data)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"message={self.message!r}, retry_after={self.retry_after!r})"
        )


class CredlyTransientError(CredlyError):
    """Credly or the network is in trouble; the same call may succeed later."""


class CredlyServerError(CredlyTransientError):
    """5xx from Credly."""


class CredlyConnectionError(CredlyTransientError):
    """
    No answer at all: timeout, refused connection, DNS or TLS failure.

    Built with :meth:`from_exception`, whose message names only the exception's type:
    the text of a requests exception names the full URL, whose query may hold a
    learner's email. The original stays reachable as ``__cause__`` for tracebacks;
    do not serialise its ``request`` attribute, which holds the Authorization header
    or the OAuth form.
    """

    def __init__(
        self,
        message: str,
        *,
        timed_out: bool = False,
        status_code: int | None = None,
        response_data: Any = None,
    ):
        super().__init__(message, status_code=status_code, response_data=response_data)
        self.timed_out = timed_out

    @classmethod
    def from_exception(cls, exc: BaseException, *, operation: str) -> "CredlyConnectionError":
        """
        Describe ``exc`` (a ``requests`` exception) without repeating its text.

        ``operation`` is a credential-free description such as ``"GET organizations/…"``.
        """
        timed_out = isinstance(exc, requests.Timeout)
        if timed_out:
            what = "timed out"
        elif isinstance(exc, requests.ConnectionError):
            what = "could not connect"
        else:  # e.g. a broken chunked body or too many redirects
            what = "failed"
        return cls(
            f"Credly request {what} ({operation}): {type(exc).__name__}",
            timed_out=timed_out,
        )


class CredlyResponseError(CredlyTransientError):
    """
    A success status whose body is not the JSON envelope Credly always sends.

    Usually a proxy or maintenance page answered instead of Credly, so it is treated
    as transient.
    """


def truncate_message(message: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Cut ``message`` to ``limit`` characters, marking the cut with an ellipsis."""
    message = " ".join(str(message).split())  # one line: bodies may hold newlines
    if len(message) <= limit:
        return message
    return message[: limit - 1] + "…"


def _flatten_errors(errors: Any) -> str:
    """Render Credly's ``errors`` member (a list or a dict, of strings or objects)."""
    if isinstance(errors, str):
        return errors
    if isinstance(errors, dict):
        parts = []
        for key, value in errors.items():
            rendered = _flatten_errors(value)
            parts.append(f"{key}: {rendered}" if rendered else str(key))
        return "; ".join(parts)
    if isinstance(errors, (list, tuple)):
        return "; ".join(part for part in (_flatten_errors(item) for item in errors) if part)
    if errors is None:
        return ""
    return str(errors)


def extract_error_message(payload: Any, status_code: int | None) -> str:
    """
    Find the human-readable message in an error answer.

    Looks, in order, at ``data.message`` (Credly's usual place), ``errors`` (a list or
    a dict), a top-level ``message``, then the OAuth 2.0 ``error_description`` /
    ``error`` pair used by token endpoints; falls back to a generic phrase naming the
    status. The result is one line of at most :data:`MAX_MESSAGE_LENGTH` characters.
    """
    message = ""
    if isinstance(payload, dict):
        data = payload.get("data")
        if isinstance(data, dict) and data.get("message"):
            message = _flatten_errors(data["message"])
        if not message and payload.get("errors"):
            message = _flatten_errors(payload["errors"])
        if not message and payload.get("message"):
            message = _flatten_errors(payload["message"])
        if not message and (payload.get("error_description") or payload.get("error")):
            message = _flatten_errors(payload.get("error_description") or payload.get("error"))
    if not message.strip():
        message = f"Credly answered HTTP {status_code}" if status_code else "Credly request failed"
    return truncate_message(message)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """
    Read a ``Retry-After`` header as a number of seconds to wait.

    The header is either a number of seconds or an HTTP date (RFC 9110 §10.2.3). A
    date in the past means "now" (``0.0``). Anything unreadable gives ``None`` so the
    caller falls back to its own default pause rather than trusting garbage.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # float() also accepts "nan" and "inf", which no pause can honour.
        if seconds != seconds or seconds in (float("inf"), float("-inf")):  # pylint: disable=comparison-with-itself
            return None
        return max(seconds, 0.0)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        # RFC dates are always GMT; a date without a zone is not one we can trust.
        return None
    current = time.time() if now is None else now
    return max(moment.timestamp() - current, 0.0)
