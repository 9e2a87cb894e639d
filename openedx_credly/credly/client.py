"""
HTTP client for the Credly REST API (``https://api.credly.com/v1/`` and its sandbox).

Pure Python and ``requests``, no Django, so that it can be unit-tested with
``responses`` and reused by management commands, Celery tasks and the fake server's
own tests alike.

Design choices worth knowing:

* Every answer goes through :func:`_raise_for_response`, the one place that turns an
  HTTP status into the exception classes of :mod:`.errors`; network failures are
  turned into :class:`~.errors.CredlyConnectionError` in :meth:`CredlyClient._send_once`.
* Nothing here retries, except one retry after a 401 when the credential can be
  refreshed (OAuth); nothing follows a redirect (any 3xx is an error). Backoff, jitter
  and rate-limit pauses belong to the caller (Celery), which knows how long a badge may
  wait; urllib3's own retries are off.
* Lists are read to the end: every page is fetched, because stopping after the first
  page is the best-known bug of other Credly integrations.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from openedx_credly import __version__, safe_json

from .errors import (
    CredlyAuthenticationError,
    CredlyConnectionError,
    CredlyDuplicateBadgeError,
    CredlyNotFoundError,
    CredlyPermissionError,
    CredlyRateLimitError,
    CredlyResponseError,
    CredlyServerError,
    CredlyValidationError,
    extract_error_message,
    parse_retry_after,
)

log = logging.getLogger("openedx_credly.credly")

#: Seconds to wait for Credly to connect and to answer. Short, because callers run
#: in Celery workers whose slots should not be held by a stalled connection.
DEFAULT_TIMEOUT = 10

#: Credly's largest page size; fewer pages means fewer requests against the
#: (unpublished) rate limit.
PAGE_SIZE = 50

#: Upper bound on pages read from one list, so a server that keeps announcing a next
#: page cannot keep a worker busy forever. 10 000 pages of 50 is half a million
#: items, far beyond any real organization.
MAX_PAGES = 10_000

#: Number of per-host connection pools kept (API and OAuth host, production and
#: sandbox, a fake server) and connections kept per host (about one per worker thread).
POOL_CONNECTIONS = 10
POOL_MAXSIZE = 20

_JSON_ACCEPT = {"Accept": "application/json"}

_session: requests.Session | None = None
_session_lock = threading.Lock()


def _build_session() -> requests.Session:
    """Create the shared session: pooled connections, no transport-level retries."""
    session = requests.Session()
    # max_retries=0: a retried POST could issue a badge twice, and the caller's
    # backoff (with rate-limit awareness) is the better place to decide anyway.
    adapter = HTTPAdapter(pool_connections=POOL_CONNECTIONS, pool_maxsize=POOL_MAXSIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)  # the local fake Credly server speaks plain HTTP
    session.headers["User-Agent"] = f"openedx-credly/{__version__} {requests.utils.default_user_agent()}"
    return session


def get_session() -> requests.Session:
    """
    Return the process-wide ``requests.Session`` used for Credly calls.

    Created on first use so that importing this module opens nothing; shared so that
    TLS connections to Credly are reused across calls and threads.
    """
    global _session  # pylint: disable=global-statement
    session = _session
    if session is not None:
        return session
    with _session_lock:
        # Double-checked: another thread may have built it while we waited.
        if _session is None:
            _session = _build_session()
        return _session


def _forget_session_after_fork() -> None:
    """Give a forked child (Celery prefork, gunicorn) its own session and lock."""
    global _session, _session_lock  # pylint: disable=global-statement
    # The parent's pooled sockets must not be shared with the child, and a lock held
    # by another parent thread at fork time would never be released in the child.
    _session = None
    _session_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # pragma: no branch - absent only on Windows
    os.register_at_fork(after_in_child=_forget_session_after_fork)


def encode_filters(filters: Mapping[str, Any] | None) -> str:
    """
    Encode filters the way Credly expects them in its ``filter`` query parameter.

    ``{"recipient_email": "ada@example.com", "state": ["pending", "accepted"]}``
    becomes ``recipient_email::ada@example.com|state::pending,accepted``. Lists,
    tuples and sets become comma lists (sets sorted, for a stable URL); booleans
    become ``true``/``false``; ``None`` values are left out.

    Raises ``ValueError`` for anything that would change the filter's meaning rather
    than its value: a ``|`` in a value (it would start another filter), a ``,`` inside
    one element of a list, a key containing ``:``, ``|`` or ``,``, or an empty value
    (``recipient_email::`` with an empty address would match every badge).
    """
    if not filters:
        return ""
    parts = []
    for key, value in filters.items():
        if value is None:
            continue
        key = str(key)
        if not key or any(char in key for char in ":|,"):
            raise ValueError(f"Invalid Credly filter name: {key!r}")
        if isinstance(value, (list, tuple, set, frozenset)):
            elements = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
            rendered = [_encode_filter_value(key, element) for element in elements]
            if not rendered:
                raise ValueError(f"Credly filter {key!r} has an empty list of values")
            if any("," in element for element in rendered):
                raise ValueError(f"A value of Credly filter {key!r} contains ','")
            text = ",".join(rendered)
        else:
            text = _encode_filter_value(key, value)
        parts.append(f"{key}::{text}")
    return "|".join(parts)


def _encode_filter_value(key: str, value: Any) -> str:
    """Render one filter value; see :func:`encode_filters` for what is refused."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    if not text.strip():
        raise ValueError(f"Credly filter {key!r} has an empty value")
    if "|" in text:
        raise ValueError(f"A value of Credly filter {key!r} contains '|'")
    return text


def _quote_segment(value: Any) -> str:
    """
    Quote one path segment taken from outside (an id), so it stays one segment.

    ``/`` is quoted; ``.`` and ``..`` cannot be made harmless by quoting (``.`` is an
    unreserved character and URL normalisation removes dot segments), so they are
    refused, as are empty ids, which would turn ``badges/{id}`` into the list URL.
    """
    if value is None:
        raise ValueError("A Credly id is required, got None")
    text = str(value)
    if text.strip() in ("", ".", ".."):
        raise ValueError(f"Invalid Credly id: {text!r}")
    return quote(text, safe="")


def _json_or_none(response: requests.Response) -> Any:
    """The parsed JSON body of ``response``, or ``None`` when it is not JSON."""
    try:
        return safe_json.loads(response.content)
    except ValueError:  # not UTF-8 JSON, or nested deeper than anything Credly sends
        return None


def _raise_for_response(response: requests.Response) -> dict:
    """
    Map a Credly answer to its exception, or return its JSON envelope.

    This is the single place where HTTP statuses become exception classes:

    ========================  ===========================================
    2xx with ``{"data": …}``  returned (the whole envelope)
    2xx otherwise             :class:`CredlyResponseError`
    401                       :class:`CredlyAuthenticationError`
    403                       :class:`CredlyPermissionError`
    404                       :class:`CredlyNotFoundError`
    422 mentioning "already"  :class:`CredlyDuplicateBadgeError`
    other 4xx                 :class:`CredlyValidationError`
    429                       :class:`CredlyRateLimitError` (``retry_after``)
    5xx                       :class:`CredlyServerError`
    1xx, 3xx                  :class:`CredlyResponseError`
    ========================  ===========================================
    """
    status = response.status_code
    payload = _json_or_none(response)

    if 200 <= status < 300:
        if not isinstance(payload, dict) or "data" not in payload:
            raise CredlyResponseError(
                f"Credly answered HTTP {status} without its JSON envelope",
                status_code=status,
                response_data=payload,
            )
        return payload

    message = extract_error_message(payload, status)
    details = {"status_code": status, "response_data": payload}
    if status == 401:
        raise CredlyAuthenticationError(message, **details)
    if status == 403:
        raise CredlyPermissionError(message, **details)
    if status == 404:
        raise CredlyNotFoundError(message, **details)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise CredlyRateLimitError(message, retry_after=retry_after, **details)
    if status == 422 and _reports_duplicate(payload, message):
        raise CredlyDuplicateBadgeError(message, **details)
    if 400 <= status < 500:
        raise CredlyValidationError(message, **details)
    if status >= 500:
        raise CredlyServerError(message, **details)
    if 300 <= status < 400:
        raise CredlyResponseError(f"Credly answered with a redirect (HTTP {status}), which its API never does",
                                  **details)
    raise CredlyResponseError(f"Credly answered with unexpected HTTP {status}", **details)


def _reports_duplicate(payload: Any, message: str) -> bool:
    """
    Whether a 422 says the earner already has this badge.

    Credly's wording is not documented ("… already has this badge"), so match the
    word "already" case-insensitively, in the message or in an ``errors`` member.
    """
    texts = [message]
    if isinstance(payload, dict) and payload.get("errors"):
        texts.append(str(payload["errors"]))
    return any("already" in text.lower() for text in texts)


class CredlyClient:
    """
    Calls the Credly API on behalf of one organization.

    ``auth`` is a ``requests`` auth object, normally :class:`~.auth.TokenAuth` or
    :class:`~.auth.OAuthClientCredentials`. When it has an ``invalidate()`` method
    (OAuth), a 401 is answered by dropping the access token and retrying the call
    once with a fresh one; a second 401 is raised.

    The client keeps no state between calls besides its settings, so one instance may
    be shared by threads.
    """

    #: See :data:`MAX_PAGES`; an instance attribute may lower it (tests do).
    max_pages = MAX_PAGES

    def __init__(
        self,
        *,
        api_base_url: str,
        organization_id: str,
        auth: requests.auth.AuthBase,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ):
        parts = urlsplit(api_base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"Credly API base URL must be an http(s) URL, got {api_base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError("Credly API base URL must not have a query or fragment")
        # Paths are appended to the base, so it must end with "/": otherwise
        # "…/v1" + "organizations" would lose the version segment under urljoin.
        self.api_base_url = api_base_url if api_base_url.endswith("/") else api_base_url + "/"
        self.organization_id = str(organization_id)
        self._organization_segment = _quote_segment(organization_id)
        self.auth = auth
        self.timeout = timeout
        self._session = session

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_base_url={self.api_base_url!r}, organization_id={self.organization_id!r})"

    @property
    def session(self) -> requests.Session:
        """The session given at construction, else the process-wide one."""
        # Resolved on every call rather than in __init__, so a client built before a
        # fork uses the child's session, not the parent's sockets.
        return self._session if self._session is not None else get_session()

    # ------------------------------------------------------------------ calls

    def get_organization(self) -> dict:
        """Read the organization; the cheapest way to check that a credential works."""
        return self._get_object("GET", ())

    def iter_badge_templates(self, *, filters: Mapping[str, Any] | None = None) -> Iterator[dict]:
        """
        Yield every badge template of the organization, reading all pages.

        No filter is applied by default; pass ``{"state": "active"}`` to get only
        templates that can issue badges.
        """
        return self._iter_pages(("badge_templates",), {"filter": encode_filters(filters)})

    def get_badge_template(self, template_id: str) -> dict:
        """Read one badge template."""
        return self._get_object("GET", ("badge_templates", template_id))

    def issue_badge(self, payload: Mapping[str, Any]) -> dict:
        """
        Issue a badge; ``payload`` is the request body described by the contract.

        Returns the issued badge. Raises :class:`CredlyDuplicateBadgeError` when the
        earner already has a badge from this template.
        """
        if not isinstance(payload, Mapping):
            raise TypeError("issue_badge() expects a mapping as payload")
        return self._get_object("POST", ("badges",), json=dict(payload))

    def iter_badges(
        self,
        *,
        filters: Mapping[str, Any] | None = None,
        sort: str | None = None,
    ) -> Iterator[dict]:
        """
        Yield every issued badge matching ``filters`` (see :func:`encode_filters`).

        ``sort`` is Credly's sort expression, e.g. ``"-issued_at"``.
        """
        return self._iter_pages(("badges",), {"filter": encode_filters(filters), "sort": sort})

    def get_badge(self, badge_id: str) -> dict:
        """Read one issued badge."""
        return self._get_object("GET", ("badges", badge_id))

    def revoke_badge(self, badge_id: str, *, reason: str, suppress_notification: bool = False) -> dict:
        """
        Revoke an issued badge and return it (``state`` is then ``"revoked"``).

        ``reason`` is shown to the earner; Credly requires one.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("A reason is required to revoke a Credly badge")
        body = {"reason": reason, "suppress_revoke_notification_email": bool(suppress_notification)}
        return self._get_object("PUT", ("badges", badge_id, "revoke"), json=body)

    def get_event(self, event_id: str) -> dict:
        """
        Read one webhook event (``{"id", "event_type", "badge": {…}, …}``).

        Webhook bodies are unsigned, so the handler must act on this answer, fetched
        with the organization's own credential, and never on the posted body.
        """
        return self._get_object("GET", ("events", event_id))

    def list_authorization_tokens(self) -> list[dict]:
        """List the organization's authorization tokens (with ``expires_at``), all pages."""
        return list(self._iter_pages(("authorization_tokens",), {}))

    # ------------------------------------------------------------- plumbing

    def _url(self, segments: tuple[Any, ...]) -> str:
        """Absolute URL of ``organizations/{org}/<segments…>``, each segment quoted."""
        path = "/".join(("organizations", self._organization_segment, *(_quote_segment(s) for s in segments)))
        return self.api_base_url + path

    def _log_path(self, url: str) -> str:
        """The path of ``url`` relative to the API base, without the query.

        Queries are left out of logs because filters hold learners' email addresses.
        """
        path = urlsplit(url).path
        base_path = urlsplit(self.api_base_url).path
        return path[len(base_path):] if path.startswith(base_path) else path

    def _is_under_base(self, url: str) -> bool:
        """Whether ``url`` is on the API host, below the API base path."""
        candidate, base = urlsplit(url), urlsplit(self.api_base_url)
        return (
            candidate.scheme.lower() == base.scheme.lower()
            and candidate.netloc.lower() == base.netloc.lower()
            and candidate.path.startswith(base.path)
        )

    def _get_object(self, method: str, segments: tuple[Any, ...], *, json: Any = None) -> dict:
        """Make a call whose ``data`` is one object, and return that object."""
        envelope = self._send(method, self._url(segments), json=json)
        data = envelope["data"]
        if not isinstance(data, dict):
            raise CredlyResponseError(
                f"Credly answered {method} {self._log_path(self._url(segments))} with a non-object 'data'",
                response_data=envelope,
            )
        return data

    def _iter_pages(self, segments: tuple[Any, ...], params: Mapping[str, Any]) -> Iterator[dict]:
        """
        Yield the items of every page of a list call.

        The next page is ``metadata.next_page_url`` when Credly gives the key (``null``
        meaning "last page"), else ``page + 1`` while it is at most
        ``metadata.total_pages``. A page requested twice, or more than
        :attr:`max_pages` pages, raises :class:`CredlyResponseError` instead of looping:
        the caller must not take a truncated list for the whole one (a template
        sync would archive what it did not see).
        """
        base_url = self._url(segments)
        base_params = {key: value for key, value in params.items() if value not in (None, "")}
        base_params["per"] = PAGE_SIZE
        url: str = base_url
        query: dict[str, Any] | None = {**base_params, "page": 1}
        page = 1
        requested: set[tuple] = set()

        for _ in range(self.max_pages):
            request_key = (url, tuple(sorted(query.items())) if query else ())
            if request_key in requested:
                raise CredlyResponseError(
                    f"Credly pagination of {self._log_path(base_url)} points back to a page already read"
                )
            requested.add(request_key)

            envelope = self._send("GET", url, params=query)
            items = envelope["data"]
            if not isinstance(items, list):
                raise CredlyResponseError(
                    f"Credly answered {self._log_path(base_url)} with a non-list 'data'",
                    response_data=envelope,
                )
            yield from items

            metadata = envelope.get("metadata")
            metadata = metadata if isinstance(metadata, dict) else {}
            page = _as_int(metadata.get("current_page")) or page

            if "next_page_url" in metadata:
                next_url = metadata["next_page_url"]
                if not next_url:
                    return
                next_url = urljoin(url, str(next_url))
                if self._is_under_base(next_url):
                    url, query = next_url, None  # the URL carries filter, per and page
                    page += 1
                    continue
                # Following it would send our credential to another host.
                log.warning(
                    "Credly next_page_url for %s is outside the API base (host %s); paging by number instead",
                    self._log_path(base_url),
                    urlsplit(next_url).netloc,
                )
                if _as_int(metadata.get("total_pages")) is None:
                    # Credly says there is more, but gives no safe way to reach it:
                    # fail rather than hand back a list that looks complete.
                    raise CredlyResponseError(
                        f"Credly pagination of {self._log_path(base_url)} cannot be followed safely"
                    )

            total_pages = _as_int(metadata.get("total_pages"))
            if total_pages is None or page >= total_pages:
                return
            page += 1
            url, query = base_url, {**base_params, "page": page}

        raise CredlyResponseError(
            f"Credly pagination of {self._log_path(base_url)} exceeded {self.max_pages} pages"
        )

    def _send(self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None) -> dict:
        """
        Make one API call and return its envelope, or raise its :mod:`.errors` class.

        With a refreshable credential (an ``auth`` with ``invalidate()``), a 401 is
        retried once with a fresh token: an access token can be revoked or expire
        early, and only the second refusal means the credential itself is bad.
        """
        invalidate = getattr(self.auth, "invalidate", None)
        attempts = 2 if callable(invalidate) else 1
        for attempt in range(1, attempts + 1):
            response = self._send_once(method, url, params=params, json=json)
            if response.status_code == 401 and attempt < attempts:
                log.debug(
                    "Credly %s %s answered 401; retrying once with a new access token", method, self._log_path(url)
                )
                response.close()
                invalidate()
                continue
            return _raise_for_response(response)
        raise AssertionError("unreachable: the last attempt always returns or raises")  # pragma: no cover

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
    ) -> requests.Response:
        """Send one request; network failures become :class:`CredlyConnectionError`."""
        log_path = self._log_path(url)
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,  # also sets Content-Type: application/json
                headers=_JSON_ACCEPT,
                auth=self.auth,
                timeout=self.timeout,
                # Credly's API never redirects: a followed 307 would re-post a learner's email and
                # name elsewhere, and a followed answer could be taken for a badge Credly does not have.
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug("Credly %s %s failed after %.0f ms: %s", method, log_path, elapsed_ms, type(exc).__name__)
            raise CredlyConnectionError.from_exception(exc, operation=f"{method} {log_path}") from exc
        elapsed_ms = (time.monotonic() - started) * 1000
        log.debug("Credly %s %s -> %s in %.0f ms", method, log_path, response.status_code, elapsed_ms)
        return response


def _as_int(value: Any) -> int | None:
    """``value`` as an int when it is one (or a digit string), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
