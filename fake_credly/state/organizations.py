"""
Organizations and their credentials, as Credly keeps them.

An organization has authorization tokens (HTTP Basic, 180 days unless seeded otherwise)
and OAuth client credentials that buy short-lived access tokens (Bearer). A test can
revoke all of an organization's credentials to start a "401 period". ``authenticate`` is
the check every ``/v1`` request passes first.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
import uuid

from .base import FakeCredlyError, StateBase, iso, parse_datetime, slug

AUTH_TOKEN_LIFETIME = dt.timedelta(days=180)
DEFAULT_ACCESS_TOKEN_LIFETIME = 7200


class OrganizationsMixin(StateBase):
    """Organizations, authorization tokens, OAuth clients and access tokens; authentication."""

    access_token_lifetime: int

    def _forget_organizations(self) -> None:
        """No organizations, hence no credentials; access tokens last the default again."""
        self._orgs = {}
        self._token_index: dict[str, dict] = {}
        self._clients: dict[str, str] = {}
        self._access_tokens: dict[str, tuple[str, dt.datetime]] = {}
        self.access_token_lifetime = DEFAULT_ACCESS_TOKEN_LIFETIME

    # ``id`` (as in Credly's JSON) is passed by keyword, also by the control endpoints' JSON bodies.
    def add_organization(  # pylint: disable=redefined-builtin
        self, name: str, id: str | None = None, token: str | None = None,
        client_id: str | None = None, client_secret: str | None = None,
    ) -> dict:
        """Create an organization with one authorization token and OAuth client credentials."""
        with self._lock:
            org_id = id or str(uuid.uuid4())
            if org_id in self._orgs:
                raise FakeCredlyError(409, f"Organization {org_id} already exists")
            client_id = client_id or f"client-{secrets.token_hex(8)}"
            client_secret = client_secret or secrets.token_hex(16)
            self._orgs[org_id] = {
                "id": org_id, "name": name, "created_at": self.now(), "credentials_revoked": False,
                "client_id": client_id, "client_secret": client_secret,
                "webhook_url": None, "webhook_event_types": None,
            }
            self._clients[client_id] = org_id
            first = self.add_token(org_id, token or secrets.token_hex(20))
            return {"id": org_id, "name": name, "token": first["token"],
                    "client_id": client_id, "client_secret": client_secret}

    def add_token(self, org_id: str, token: str, expires_at: str | None = None) -> dict:
        """Give an organization another authorization token (180 days unless told)."""
        with self._lock:
            self._org(org_id, status=404)
            if token in self._token_index:
                raise FakeCredlyError(409, "Token already in use")
            created = self.now()
            record = {
                "id": str(uuid.uuid4()), "token": token, "organization_id": org_id, "created_at": created,
                "expires_at": parse_datetime(expires_at) if expires_at else created + AUTH_TOKEN_LIFETIME,
            }
            self._token_index[token] = record
            return {"id": record["id"], "token": token, "expires_at": iso(record["expires_at"])}

    def revoke_credentials(self, org_id: str) -> None:
        """Start a "401 period": every credential of the organization fails until restored."""
        with self._lock:
            self._org(org_id, status=404)["credentials_revoked"] = True

    def restore_credentials(self, org_id: str) -> None:
        with self._lock:
            self._org(org_id, status=404)["credentials_revoked"] = False

    def set_access_token_lifetime(self, seconds: int) -> None:
        with self._lock:
            self.access_token_lifetime = int(seconds)

    def authenticate(self, authorization: str | None, org_id: str) -> str:
        """Check an Authorization header for ``org_id``; returns the scheme or raises 401/403/404."""
        scheme, _, credential = (authorization or "").partition(" ")
        scheme = scheme.lower()
        with self._lock:
            if scheme == "basic":
                try:
                    decoded = base64.b64decode(credential.strip(), validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    raise FakeCredlyError(401, "Malformed Basic credentials") from None
                # "<token>:" and a bare "<token>" are both seen in the wild.
                record = self._token_index.get(decoded.split(":", 1)[0])
                if record is None:
                    raise FakeCredlyError(401, "Invalid authorization token")
                if record["expires_at"] <= self.now():
                    raise FakeCredlyError(401, "Authorization token has expired")
                owner = record["organization_id"]
            elif scheme == "bearer":
                grant = self._access_tokens.get(credential.strip())
                if grant is None:
                    raise FakeCredlyError(401, "Invalid access token")
                if grant[1] <= self.now():
                    raise FakeCredlyError(401, "Access token has expired")
                owner = grant[0]
            else:
                raise FakeCredlyError(401, "Authentication required")
            if self._orgs[owner]["credentials_revoked"]:
                raise FakeCredlyError(401, "Credentials for this organization were revoked")
            if org_id not in self._orgs:
                raise FakeCredlyError(404, "Organization not found")
            if owner != org_id:
                raise FakeCredlyError(403, "This credential has no access to that organization")
            return scheme.capitalize()

    def issue_access_token(self, client_id: str | None, client_secret: str | None,
                           grant_type: str | None, scope: str | None) -> dict:
        """OAuth client-credentials grant; the answer is not wrapped in ``data`` (as in OAuth)."""
        if grant_type != "client_credentials":
            raise FakeCredlyError(400, "unsupported_grant_type")
        with self._lock:
            org_id = self._clients.get(client_id or "")
            org = self._orgs.get(org_id) if org_id else None
            if org is None or not secrets.compare_digest(org["client_secret"], client_secret or ""):
                raise FakeCredlyError(401, "invalid_client")
            if org["credentials_revoked"]:
                raise FakeCredlyError(401, "invalid_client")
            token = secrets.token_urlsafe(24)
            lifetime = self.access_token_lifetime
            self._access_tokens[token] = (org_id, self.now() + dt.timedelta(seconds=lifetime))
            self._stats["oauth_tokens_issued"] += 1
            return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                    "scope": scope or "", "created_at": int(self.now().timestamp())}

    def get_organization(self, org_id: str) -> dict:
        with self._lock:
            org = self._org(org_id)
            return {"id": org["id"], "name": org["name"], "vanity_url": slug(org["name"]),
                    "created_at": iso(org["created_at"]), "photo_url": None, "website_url": None}

    def list_tokens(self, org_id: str) -> list[dict]:
        with self._lock:
            self._org(org_id)
            return [{"id": r["id"], "organization_id": org_id, "created_at": iso(r["created_at"]),
                     "expires_at": iso(r["expires_at"]), "last_four": r["token"][-4:]}
                    for r in self._token_index.values() if r["organization_id"] == org_id]

    def _org(self, org_id: str, status: int = 404) -> dict:
        org = self._orgs.get(org_id)
        if org is None:
            raise FakeCredlyError(status, "Organization not found")
        return org
