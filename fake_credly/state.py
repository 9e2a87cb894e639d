"""
In-memory data and behaviour of the fake Credly server.

Everything the HTTP layer (``app.py``) and the control endpoints do ends up in a
method of :class:`FakeCredlyState`, so in-process tests can drive the fake
directly and out-of-process tests can drive it over ``/_fake/``. One lock guards
all of it: requests come from many server threads at once, and the duplicate
check plus the insert of a badge must be atomic, exactly as on Credly.

Lookups go through dict indexes so that each request costs O(1) (or O(page)
for lists); benchmarks push hundreds of requests a second through this.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import queue
import random
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields

ISSUED_AT_FORMAT = "%Y-%m-%d %H:%M:%S %z"
# strptime alone would also take "+00:00" or "Z"; the contract says "+0000", so be strict
# and let a client that drifts from it find out here rather than on Credly.
_ISSUED_AT_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REQUIRED_BADGE_FIELDS = (
    "recipient_email", "issued_to_first_name", "issued_to_last_name", "badge_template_id", "issued_at",
)
LOCALES = frozenset({"en", "fr", "de", "ko", "ja", "zh-CN", "pt", "es-ES", "es-US", "fr-CA", "pt-BR"})
TEMPLATE_STATES = ("draft", "active", "archived")
MAX_PER_PAGE = 50
DUPLICATE_MESSAGE = "User already has this badge"
TEMPLATE_NOT_FOUND_MESSAGE = "Badge template not found"
AUTH_TOKEN_LIFETIME = dt.timedelta(days=180)
DEFAULT_ACCESS_TOKEN_LIFETIME = 7200
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
BADGE_FILTERS = frozenset({
    "recipient_email", "recipient_email_all", "badge_template_id", "state", "issuer_earner_id",
    "issued_at_min", "issued_at_max",
})
TEMPLATE_FILTERS = frozenset({"state", "name"})
TEMPLATE_EDITABLE = frozenset({"name", "description", "state", "allow_duplicate_badges", "skills", "vanity_slug"})
# Fixed ids so the demo's configuration can be written down once.
DEMO_ORG_ID = "0d3f5b8e-7c1a-4c2e-9a51-6f0e2b7d4c10"
DEMO_TOKEN = "demo-credly-token"
DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_TEMPLATES = (
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c01", "Python Fundamentals", "active"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c02", "Data Analysis Capstone", "active"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c03", "Legacy Course Completion", "archived"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c04", "Python Data Specialist", "active"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c05", "Data Analysis with Distinction", "active"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c06", "Python Fundamentals with Honours", "active"),
)


class FakeCredlyError(Exception):
    """A refusal with an HTTP status; the app renders it, Python callers can catch it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Fault:
    """One injected failure; the kinds are listed in the package docstring (``fake_credly``)."""

    status: int | None = None
    count: int | None = None
    probability: float | None = None
    retry_after: int | None = None
    timeout: float | None = None
    after_commit_timeout: float | None = None
    # Do the work, then close the connection without answering (the client sees a dropped connection).
    after_commit_drop: bool = False
    # Do the work, then answer 201 with the badge's id left out.
    after_commit_without_id: bool = False
    # Answer a redirect (``status`` 302 unless given) to this URL, doing nothing.
    redirect_to: str | None = None
    path_contains: str | None = None
    method: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @classmethod
    def from_dict(cls, spec: dict) -> "Fault":
        """A fault from its control-endpoint spec, with defaults filled in; 400 for a spec that does nothing."""
        unknown = set(spec) - {f.name for f in fields(cls) if f.name != "id"}
        if unknown:
            raise FakeCredlyError(400, f"Unknown fault keys: {sorted(unknown)}")
        fault = cls(**spec)
        effects = (fault.status is not None, fault.timeout is not None, fault.after_commit_timeout is not None,
                   fault.after_commit_drop, fault.after_commit_without_id, fault.redirect_to)
        if not any(effects):
            raise FakeCredlyError(400, "A fault needs 'status', 'timeout', 'after_commit_timeout', "
                                       "'after_commit_drop', 'after_commit_without_id' or 'redirect_to'")
        if fault.redirect_to and fault.status is None:
            fault.status = 302
        if fault.timeout is not None and fault.status is None:
            fault.status = 504  # what a gateway says once it gave up waiting
        if fault.count is None and fault.probability is None:
            fault.count = 1
        if fault.method:
            fault.method = fault.method.upper()
        return fault


def parse_datetime(value: str) -> dt.datetime:
    """Read a filter date: the issue format, ISO 8601 or a bare date; naive means UTC."""
    try:
        moment = dt.datetime.strptime(value, ISSUED_AT_FORMAT)
    except ValueError:
        moment = dt.datetime.fromisoformat(value)  # ValueError propagates to the caller
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _iso(moment: dt.datetime | None) -> str | None:
    """Credly's timestamps: ISO 8601 in UTC with milliseconds, e.g. ``2026-11-25T10:00:00.000Z``."""
    if not moment:
        return None
    moment = moment.astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "badge"


def _split(value: str) -> set[str]:
    return {part.strip() for part in value.split(",") if part.strip()}


def _checked_badge_body(body: dict) -> tuple:
    """
    The fields of a badge to issue, checked as Credly checks them (422 with its message otherwise):
    ``(email, issued_at, expires_at, evidence, issuer_earner_id)``.
    """
    missing = [name for name in REQUIRED_BADGE_FIELDS
               if not isinstance(body.get(name), str) or not body[name].strip()]
    if missing:
        raise FakeCredlyError(422, "Validation failed: " + ", ".join(f"{n} can't be blank" for n in missing))
    email = body["recipient_email"].strip()
    if not _EMAIL_RE.match(email):
        raise FakeCredlyError(422, "Validation failed: recipient_email is not a valid email address")
    try:
        if not _ISSUED_AT_RE.match(body["issued_at"]):
            raise ValueError
        issued_at = dt.datetime.strptime(body["issued_at"], ISSUED_AT_FORMAT)
    except ValueError:
        raise FakeCredlyError(422, "Validation failed: issued_at must look like "
                                   "'YYYY-MM-DD HH:MM:SS +0000'") from None
    expires_at = None
    if body.get("expires_at") is not None:
        try:
            expires_at = parse_datetime(str(body["expires_at"]))
        except ValueError:
            raise FakeCredlyError(422, "Validation failed: expires_at is not a valid date") from None
    if body.get("locale") is not None and body["locale"] not in LOCALES:
        raise FakeCredlyError(422, f"Validation failed: locale {body['locale']!r} is not supported")
    evidence = body.get("evidence") or []
    if not isinstance(evidence, list) or any(
            not isinstance(e, dict) or e.get("type") not in ("UrlEvidence", "IdEvidence") for e in evidence):
        raise FakeCredlyError(422, "Validation failed: evidence must be a list of UrlEvidence/IdEvidence")
    earner_id = body.get("issuer_earner_id")
    earner_id = str(earner_id) if earner_id not in (None, "") else None
    return email, issued_at, expires_at, evidence, earner_id


class FakeCredlyState:
    """All organizations, templates, badges, events and test knobs of one fake Credly."""

    def __init__(self, base_url: str = "http://127.0.0.1", seed: int = 0, webhook_timeout: float = 2.0):
        self.base_url = base_url.rstrip("/")
        self.seed = seed
        self.webhook_timeout = webhook_timeout
        self._lock = threading.RLock()
        self._webhook_queue: queue.Queue = queue.Queue()
        self._webhook_worker: threading.Thread | None = None
        self._generation = 0
        self._wake = threading.Event()
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """Forget everything and wake any request sleeping in a fault or latency."""
        with self._lock:
            self._generation += 1  # queued webhooks of the previous test are dropped
            self._wake.set()
            self._wake = threading.Event()
            self._orgs: dict[str, dict] = {}
            self._token_index: dict[str, dict] = {}
            self._clients: dict[str, str] = {}
            self._access_tokens: dict[str, tuple[str, dt.datetime]] = {}
            self._templates: dict[str, dict] = {}
            self._templates_by_org: dict[str, list[str]] = {}
            self._badges: dict[str, dict] = {}
            self._badges_by_org: dict[str, list[str]] = {}
            self._badges_by_email: dict[tuple, list[str]] = {}
            self._badges_by_template: dict[tuple, list[str]] = {}
            # Only badges that are not revoked: these decide duplicates.
            self._live_by_email: dict[tuple, set[str]] = {}
            self._live_by_earner_id: dict[tuple, set[str]] = {}
            self._earners: dict[str, dict] = {}
            self._events: dict[str, dict] = {}
            self._event_order: list[str] = []
            self._deliveries: list[dict] = []
            self._faults: list[Fault] = []
            self._rng = random.Random(self.seed)
            self._rate_per_second: float | None = None
            self._buckets: dict[str, tuple[float, float]] = {}
            self.latency = 0.0
            self.access_token_lifetime = DEFAULT_ACCESS_TOKEN_LIFETIME
            self._clock_offset = dt.timedelta()
            self._seq = 0
            self._stats: Counter = Counter()
            self._by_route: Counter = Counter()
            self._by_status: Counter = Counter()
            self._requests: deque = deque(maxlen=2000)

    def close(self) -> None:
        """Stop the webhook worker and wake sleepers (called by the server on stop)."""
        self._wake.set()
        if self._webhook_worker is not None:
            self._webhook_queue.put(None)
            self._webhook_worker.join(timeout=self.webhook_timeout + 1)
            self._webhook_worker = None

    def now(self) -> dt.datetime:
        """The fake's clock: real UTC time plus whatever ``advance_clock`` added."""
        return dt.datetime.now(dt.timezone.utc) + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock forward so tokens expire without the test sleeping."""
        with self._lock:
            self._clock_offset += dt.timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        """Sleep, but return early on reset/stop so a hung fault never outlives its test."""
        self._wake.wait(seconds)

    # ------------------------------------------------------------------ seeding
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
            self._templates_by_org[org_id] = []
            self._badges_by_org[org_id] = []
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
            return {"id": record["id"], "token": token, "expires_at": _iso(record["expires_at"])}

    def revoke_credentials(self, org_id: str) -> None:
        """Start a "401 period": every credential of the organization fails until restored."""
        with self._lock:
            self._org(org_id, status=404)["credentials_revoked"] = True

    def restore_credentials(self, org_id: str) -> None:
        with self._lock:
            self._org(org_id, status=404)["credentials_revoked"] = False

    def set_webhook(self, org_id: str, url: str | None, event_types: list[str] | None = None) -> None:
        """Register where event notifications go; only loopback URLs, this fake never leaves the host."""
        if url is not None:
            parsed = urllib.parse.urlsplit(url)
            if parsed.scheme not in ("http", "https") or parsed.hostname not in LOOPBACK_HOSTS:
                raise FakeCredlyError(400, "Webhook URL must be http(s) on 127.0.0.1/localhost")
        with self._lock:
            org = self._org(org_id, status=404)
            org["webhook_url"], org["webhook_event_types"] = url, event_types

    # ``id``: as for add_organization.
    def add_template(  # pylint: disable=redefined-builtin
        self, org_id: str, name: str, *, id: str | None = None, description: str = "",
        state: str = "active", allow_duplicate_badges: bool = False,
        skills: list | None = None, vanity_slug: str | None = None,
    ) -> dict:
        """Create a badge template and record ``badge_template.created``."""
        if state not in TEMPLATE_STATES:
            raise FakeCredlyError(400, f"state must be one of {TEMPLATE_STATES}")
        with self._lock:
            self._org(org_id, status=404)
            template_id = id or str(uuid.uuid4())
            if template_id in self._templates:
                raise FakeCredlyError(409, f"Badge template {template_id} already exists")
            now = self.now()
            self._templates[template_id] = {
                "id": template_id, "organization_id": org_id, "name": name, "description": description,
                "state": state, "allow_duplicate_badges": bool(allow_duplicate_badges),
                "skills": list(skills or []), "vanity_slug": vanity_slug or _slug(name),
                "image_id": str(uuid.uuid5(uuid.NAMESPACE_URL, template_id)),
                "created_at": now, "updated_at": now,
            }
            self._templates_by_org[org_id].append(template_id)
            self._record_event("badge_template.created", org_id, template_id=template_id)
            return self._template_json(self._templates[template_id])

    def update_template(self, template_id: str, **changes) -> dict:
        """Edit a template (e.g. archive it) and record ``badge_template.changed``."""
        unknown = set(changes) - TEMPLATE_EDITABLE
        if unknown:
            raise FakeCredlyError(400, f"Cannot change {sorted(unknown)}")
        if "state" in changes and changes["state"] not in TEMPLATE_STATES:
            raise FakeCredlyError(400, f"state must be one of {TEMPLATE_STATES}")
        with self._lock:
            template = self._templates.get(template_id)
            if template is None:
                raise FakeCredlyError(404, TEMPLATE_NOT_FOUND_MESSAGE)
            template.update(changes)
            template["updated_at"] = self.now()
            self._record_event("badge_template.changed", template["organization_id"], template_id=template_id)
            return self._template_json(template)

    def add_earner(self, email: str, auto_accept: bool = True, other_emails: list[str] | None = None) -> dict:
        """Make a Credly user: their badges may auto-accept, and all their emails count as one person."""
        with self._lock:
            emails = [email.lower()] + [e.lower() for e in other_emails or []]
            earner = {"id": str(uuid.uuid4()), "emails": emails, "auto_accept": bool(auto_accept)}
            for address in emails:
                self._earners[address] = earner
            return dict(earner)

    def seed_demo(self) -> dict:
        """Seed (once) the demo organization, its token and six templates, one archived."""
        with self._lock:
            if DEMO_ORG_ID not in self._orgs:
                self.add_organization("Demo University", id=DEMO_ORG_ID, token=DEMO_TOKEN,
                                      client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
                for template_id, name, state in DEMO_TEMPLATES:
                    self.add_template(DEMO_ORG_ID, name, id=template_id, state=state,
                                      description=f"Awarded for completing {name}.",
                                      skills=["Open edX", name.split()[0]])
            return {
                "organization_id": DEMO_ORG_ID, "organization_name": "Demo University", "token": DEMO_TOKEN,
                "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
                "templates": [{"id": tid, "name": name, "state": self._templates[tid]["state"]}
                              for tid, name, _ in DEMO_TEMPLATES],
            }

    # ------------------------------------------------------------------ test knobs
    def add_faults(self, *specs: dict) -> list[dict]:
        """Queue faults; each matching API request consumes one (see :class:`Fault`)."""
        faults = [Fault.from_dict(dict(spec)) for spec in specs]
        with self._lock:
            self._faults.extend(faults)
            return [asdict(f) for f in faults]

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def faults(self) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def set_rate_limit(self, per_second: float | None) -> None:
        """Limit API calls per organization (token bucket of one second's worth); None lifts it."""
        with self._lock:
            self._rate_per_second = per_second
            self._buckets.clear()

    def set_latency(self, seconds: float) -> None:
        with self._lock:
            self.latency = max(0.0, float(seconds))

    def set_access_token_lifetime(self, seconds: int) -> None:
        with self._lock:
            self.access_token_lifetime = int(seconds)

    def take_rate_limit_slot(self, key: str) -> bool:
        """Spend one token of ``key``'s bucket; False means answer 429."""
        with self._lock:
            rate = self._rate_per_second
            if not rate:
                return True
            now = time.monotonic()
            tokens, last = self._buckets.get(key, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if not allowed:
                self._stats["rate_limited"] += 1
            return allowed

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Return (and consume) the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.path_contains and fault.path_contains not in path:
                    continue
                if fault.method and fault.method != method:
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                self._stats["faults_injected"] += 1
                return Fault(**asdict(fault))
            return None

    # ------------------------------------------------------------------ authentication
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

    # ------------------------------------------------------------------ API reads
    def get_organization(self, org_id: str) -> dict:
        with self._lock:
            org = self._org(org_id)
            return {"id": org["id"], "name": org["name"], "vanity_url": _slug(org["name"]),
                    "created_at": _iso(org["created_at"]), "photo_url": None, "website_url": None}

    def list_templates(self, org_id: str, filters: dict[str, str], page: int, per: int) -> tuple[list, int]:
        """One page of the organization's templates matching ``filters`` (state, name), and how many match."""
        with self._lock:
            self._org(org_id)
            states = _split(filters["state"]) if "state" in filters else None
            name = filters.get("name", "").lower()
            rows = [t for t in map(self._templates.get, self._templates_by_org[org_id])
                    if (states is None or t["state"] in states) and name in t["name"].lower()]
            return [self._template_json(t) for t in rows[(page - 1) * per: page * per]], len(rows)

    def get_template(self, org_id: str, template_id: str) -> dict:
        """One of the organization's templates; 404 for another organization's."""
        with self._lock:
            template = self._templates.get(template_id)
            if template is None or template["organization_id"] != org_id:
                raise FakeCredlyError(404, TEMPLATE_NOT_FOUND_MESSAGE)
            return self._template_json(template)

    def list_badges(self, org_id: str, filters: dict[str, str], sort: str | None,
                    page: int, per: int) -> tuple[list, int]:
        """Filter an organization's badges, starting from the narrowest index available."""
        with self._lock:
            self._org(org_id)
            emails = None
            if "recipient_email" in filters:
                emails = {filters["recipient_email"].lower()}
            if "recipient_email_all" in filters:
                address = filters["recipient_email_all"].lower()
                all_emails = set(self._earners[address]["emails"]) if address in self._earners else {address}
                emails = all_emails if emails is None else emails & all_emails
            templates = _split(filters["badge_template_id"]) if "badge_template_id" in filters else None
            if emails is not None:
                candidates = [b for e in emails for b in self._badges_by_email.get((org_id, e), ())]
            elif templates is not None:
                candidates = [b for t in templates for b in self._badges_by_template.get((org_id, t), ())]
            else:
                candidates = self._badges_by_org[org_id]
            states = _split(filters["state"]) if "state" in filters else None
            earner_id = filters.get("issuer_earner_id")
            try:
                low = parse_datetime(filters["issued_at_min"]) if "issued_at_min" in filters else None
                high = parse_datetime(filters["issued_at_max"]) if "issued_at_max" in filters else None
            except ValueError:
                raise FakeCredlyError(422, "issued_at_min/issued_at_max is not a valid date") from None
            rows = []
            for badge in map(self._badges.get, candidates):
                if badge["deleted"] or (templates is not None and badge["template_id"] not in templates):
                    continue
                if (states is not None and badge["state"] not in states) or (
                        earner_id is not None and badge["issuer_earner_id"] != earner_id):
                    continue
                if (low and badge["issued_at_dt"] < low) or (high and badge["issued_at_dt"] > high):
                    continue
                rows.append(badge)
            if sort in ("issued_at", "-issued_at"):
                rows.sort(key=lambda b: (b["issued_at_dt"], b["seq"]), reverse=sort.startswith("-"))
            else:
                rows.sort(key=lambda b: b["seq"])  # index lists may interleave; keep issue order
            return [self._badge_json(b) for b in rows[(page - 1) * per: page * per]], len(rows)

    def get_badge(self, org_id: str, badge_id: str) -> dict:
        with self._lock:
            return self._badge_json(self._badge(badge_id, org_id))

    def public_badge(self, badge_id: str) -> dict:
        """A badge of any organization, for the unauthenticated web pages."""
        with self._lock:
            return self._badge_json(self._badge(badge_id))

    def template_name(self, template_id: str) -> str:
        """A template's name, for its image on the web pages."""
        with self._lock:
            template = self._templates.get(template_id)
            if template is None:
                raise FakeCredlyError(404, TEMPLATE_NOT_FOUND_MESSAGE)
            return template["name"]

    def drop_id(self, data: dict) -> dict:
        """A badge answer with its id left out (the ``after_commit_without_id`` fault)."""
        return {key: value for key, value in data.items() if key != "id"}

    def get_event(self, org_id: str, event_id: str) -> dict:
        """One of the organization's events, with its badge or template as they are now."""
        with self._lock:
            event = self._events.get(event_id)
            if event is None or event["organization_id"] != org_id:
                raise FakeCredlyError(404, "Event not found")
            return self._event_json(event)

    def list_tokens(self, org_id: str) -> list[dict]:
        with self._lock:
            self._org(org_id)
            return [{"id": r["id"], "organization_id": org_id, "created_at": _iso(r["created_at"]),
                     "expires_at": _iso(r["expires_at"]), "last_four": r["token"][-4:]}
                    for r in self._token_index.values() if r["organization_id"] == org_id]

    # ------------------------------------------------------------------ API writes
    def issue_badge(self, org_id: str, body: dict) -> dict:
        """Validate and store a badge; duplicate check and insert happen under one lock."""
        email, issued_at, expires_at, evidence, earner_id = _checked_badge_body(body)
        with self._lock:
            self._org(org_id)
            template = self._templates.get(body["badge_template_id"])
            if template is None or template["organization_id"] != org_id:
                raise FakeCredlyError(422, TEMPLATE_NOT_FOUND_MESSAGE)
            if template["state"] != "active":
                raise FakeCredlyError(422, f"Badge template is not active (state: {template['state']})")
            earner = self._earners.get(email.lower())
            emails = earner["emails"] if earner else [email.lower()]
            template_id = template["id"]
            if not template["allow_duplicate_badges"] and (
                    any(self._live_by_email.get((org_id, template_id, e)) for e in emails)
                    or (earner_id and self._live_by_earner_id.get((org_id, template_id, earner_id)))):
                self._stats["duplicates_refused"] += 1
                raise FakeCredlyError(422, DUPLICATE_MESSAGE)
            now = self.now()
            self._seq += 1
            auto_accept = bool(earner and earner["auto_accept"])
            badge = {
                "id": str(uuid.uuid4()), "seq": self._seq, "organization_id": org_id, "template_id": template_id,
                "state": "accepted" if auto_accept else "pending", "issued_at": body["issued_at"],
                "issued_at_dt": issued_at, "recipient_email": email, "issuer_earner_id": earner_id,
                "issued_to_first_name": body["issued_to_first_name"].strip(),
                "issued_to_middle_name": (body.get("issued_to_middle_name") or "").strip() or None,
                "issued_to_last_name": body["issued_to_last_name"].strip(),
                "user_id": earner["id"] if earner else None, "locale": body.get("locale") or "en",
                "expires_at": expires_at, "evidence": evidence,
                "suppress_badge_notification_email": bool(body.get("suppress_badge_notification_email")),
                "created_at": now, "state_updated_at": now, "accepted_at": now if auto_accept else None,
                "revoked_at": None, "revocation_reason": None, "deleted": False,
            }
            badge_id = badge["id"]
            self._badges[badge_id] = badge
            self._badges_by_org[org_id].append(badge_id)
            self._badges_by_email.setdefault((org_id, email.lower()), []).append(badge_id)
            self._badges_by_template.setdefault((org_id, template_id), []).append(badge_id)
            self._live_by_email.setdefault((org_id, template_id, email.lower()), set()).add(badge_id)
            if earner_id:
                self._live_by_earner_id.setdefault((org_id, template_id, earner_id), set()).add(badge_id)
            self._stats["badges_issued"] += 1
            self._record_event("badge.created", org_id, badge_id=badge_id)
            if auto_accept:
                self._record_event("badge.state.changed", org_id, badge_id=badge_id)
            return self._badge_json(badge)

    def revoke_badge(self, org_id: str, badge_id: str, reason: str | None, suppress_email: bool = False) -> dict:
        """Revoke a badge; it stops counting as a duplicate so the learner can earn it again."""
        if not isinstance(reason, str) or not reason.strip():
            raise FakeCredlyError(422, "Validation failed: reason can't be blank")
        with self._lock:
            badge = self._badge(badge_id, org_id)
            if badge["state"] == "revoked":
                raise FakeCredlyError(422, "Badge has already been revoked")
            badge["revoked_at"] = self.now()
            badge["revocation_reason"] = reason
            badge["suppress_revoke_notification_email"] = bool(suppress_email)
            self._change_state(badge, "revoked")
            return self._badge_json(badge)

    def accept_badge(self, badge_id: str) -> dict:
        """The earner accepts a pending badge (control endpoint and the web accept page)."""
        return self._earner_decision(badge_id, "accepted")

    def reject_badge(self, badge_id: str) -> dict:
        return self._earner_decision(badge_id, "rejected")

    def delete_badge(self, badge_id: str) -> None:
        """Remove a badge as an admin would; its events still render it, flagged ``deleted``."""
        with self._lock:
            badge = self._badge(badge_id)
            badge["deleted"] = True
            self._forget_live(badge)
            self._record_event("badge.deleted", badge["organization_id"], badge_id=badge_id)

    # ------------------------------------------------------------------ inspection
    def record_request(self, route: str, status: int, entry: dict | None) -> None:
        """Count a request by route and status, and keep its log entry (the last 2000)."""
        with self._lock:
            self._stats["requests_total"] += 1
            self._by_route[route] += 1
            self._by_status[str(status)] += 1
            if entry is not None:
                self._requests.append(entry)

    def stats(self) -> dict:
        """Counters of requests, badges, refusals, faults and webhook deliveries, for tests and benchmarks."""
        with self._lock:
            stats = {key: self._stats[key] for key in (
                "requests_total", "badges_issued", "duplicates_refused", "rate_limited", "faults_injected",
                "oauth_tokens_issued", "webhook_deliveries", "webhook_deliveries_ok", "webhook_deliveries_failed")}
            stats.update(by_route=dict(self._by_route), by_status=dict(self._by_status),
                         responses_401=self._by_status["401"], responses_429=self._by_status["429"],
                         badges_stored=len(self._badges), events=len(self._events))
            return stats

    def all_badges(self) -> list[dict]:
        with self._lock:
            return [self._badge_json(b) for b in self._badges.values()]

    def recent_requests(self, limit: int = 50) -> list[dict]:
        with self._lock:
            return list(self._requests)[-limit:] if limit > 0 else []

    def all_events(self) -> list[dict]:
        with self._lock:
            return [self._event_json(self._events[e]) for e in self._event_order]

    def deliveries(self) -> list[dict]:
        with self._lock:
            return [dict(d) for d in self._deliveries]

    def deliver_event(self, event_id: str) -> None:
        """Send an event's notification again, as Credly does when a delivery failed."""
        with self._lock:
            event = self._events.get(event_id)
            if event is None:
                raise FakeCredlyError(404, "Event not found")
            self._queue_webhook(event, force=True)

    # ------------------------------------------------------------------ internals
    def _org(self, org_id: str, status: int = 404) -> dict:
        org = self._orgs.get(org_id)
        if org is None:
            raise FakeCredlyError(status, "Organization not found")
        return org

    def _badge(self, badge_id: str, org_id: str | None = None) -> dict:
        badge = self._badges.get(badge_id)
        if badge is None or badge["deleted"] or (org_id is not None and badge["organization_id"] != org_id):
            raise FakeCredlyError(404, "Badge not found")
        return badge

    def _earner_decision(self, badge_id: str, new_state: str) -> dict:
        """Accept or reject a pending badge; 409 when the earner already decided."""
        with self._lock:
            badge = self._badge(badge_id)
            if badge["state"] != "pending":
                raise FakeCredlyError(409, f"Badge is {badge['state']}, only a pending badge can be {new_state}")
            if new_state == "accepted":
                badge["accepted_at"] = self.now()
            self._change_state(badge, new_state)
            return self._badge_json(badge)

    def _change_state(self, badge: dict, new_state: str) -> None:
        """Move a badge to ``new_state`` and record the event; once revoked it no longer blocks a duplicate."""
        badge["state"] = new_state
        badge["state_updated_at"] = self.now()
        if new_state == "revoked":
            self._forget_live(badge)
        self._record_event("badge.state.changed", badge["organization_id"], badge_id=badge["id"])

    def _forget_live(self, badge: dict) -> None:
        key = (badge["organization_id"], badge["template_id"])
        self._live_by_email.get((*key, badge["recipient_email"].lower()), set()).discard(badge["id"])
        if badge["issuer_earner_id"]:
            self._live_by_earner_id.get((*key, badge["issuer_earner_id"]), set()).discard(badge["id"])

    def _record_event(self, event_type: str, org_id: str, badge_id: str | None = None,
                      template_id: str | None = None) -> dict:
        """Store an event about a badge or a template and queue its webhook notification."""
        event = {"id": str(uuid.uuid4()), "event_type": event_type, "organization_id": org_id,
                 "occurred_at": _iso(self.now()), "badge_id": badge_id, "template_id": template_id}
        self._events[event["id"]] = event
        self._event_order.append(event["id"])
        self._queue_webhook(event)
        return event

    def _event_json(self, event: dict) -> dict:
        """An event as Credly answers it: its badge (or template) rendered as it is now."""
        # The badge is rendered as it is now, not as it was when the event happened.
        data = {key: event[key] for key in ("id", "event_type", "organization_id", "occurred_at")}
        if event["badge_id"]:
            badge = self._badges[event["badge_id"]]
            data["badge"] = self._badge_json(badge)
            if badge["deleted"]:
                data["badge"]["deleted"] = True
        else:
            data["badge_template"] = self._template_json(self._templates[event["template_id"]])
        return data

    def _template_json(self, template: dict) -> dict:
        org = self._orgs[template["organization_id"]]
        image_url = f"{self.base_url}/images/{template['id']}.svg"
        return {
            "id": template["id"], "name": template["name"], "description": template["description"],
            "state": template["state"], "allow_duplicate_badges": template["allow_duplicate_badges"],
            "image_url": image_url, "image": {"id": template["image_id"], "url": image_url},
            "url": f"{self.base_url}/org/{_slug(org['name'])}/badge/{template['vanity_slug']}",
            "vanity_slug": template["vanity_slug"], "skills": list(template["skills"]),
            "created_at": _iso(template["created_at"]), "updated_at": _iso(template["updated_at"]),
            "public": True, "recipient_type": "User", "level": None, "time_to_earn": None,
            "owner": {"id": org["id"], "name": org["name"], "type": "Organization"},
        }

    def _badge_json(self, badge: dict) -> dict:
        """A badge as Credly answers it."""
        template = self._template_json(self._templates[badge["template_id"]])
        org = self._orgs[badge["organization_id"]]
        names = [badge["issued_to_first_name"], badge["issued_to_middle_name"], badge["issued_to_last_name"]]
        badge_id, pending = badge["id"], badge["state"] == "pending"
        return {
            # Answered in Credly's ISO 8601 whatever format the request used: compare instants, not strings.
            "id": badge_id, "state": badge["state"], "issued_at": _iso(badge["issued_at_dt"]),
            "issued_at_date": badge["issued_at_dt"].date().isoformat(),
            "issued_to": " ".join(n for n in names if n),
            "issued_to_first_name": badge["issued_to_first_name"],
            "issued_to_middle_name": badge["issued_to_middle_name"],
            "issued_to_last_name": badge["issued_to_last_name"],
            "recipient_email": badge["recipient_email"], "issuer_earner_id": badge["issuer_earner_id"],
            # Credly drops the accept link once the earner has decided.
            "accept_badge_url": f"{self.base_url}/earner/badges/{badge_id}/accept" if pending else None,
            "badge_url": f"{self.base_url}/badges/{badge_id}",
            "image_url": template["image_url"], "image": dict(template["image"]),
            "state_updated_at": _iso(badge["state_updated_at"]), "accepted_at": _iso(badge["accepted_at"]),
            "expires_at": _iso(badge["expires_at"]), "revoked_at": _iso(badge["revoked_at"]),
            "revocation_reason": badge["revocation_reason"], "created_at": _iso(badge["created_at"]),
            "locale": badge["locale"], "evidence": badge["evidence"], "public": True,
            "replaces_badge_id": None, "alignments": [], "badge_template": template,
            "user": {"id": badge["user_id"], "first_name": badge["issued_to_first_name"],
                     "last_name": badge["issued_to_last_name"]},
            "issuer": {"summary": f"issued by {org['name']}", "entities": [
                {"label": "Issued by", "primary": True,
                 "entity": {"type": "Organization", "id": org["id"], "name": org["name"]}}]},
            "created_by": {"type": "AuthorizationToken", "organization_id": org["id"]},
        }

    def _queue_webhook(self, event: dict, force: bool = False) -> None:
        """Queue the event's notification if the organization has a webhook for its type (``force``: any type)."""
        org = self._orgs[event["organization_id"]]
        types = org["webhook_event_types"]
        if not org["webhook_url"] or not (force or types is None or event["event_type"] in types):
            return
        payload = {key: event[key] for key in ("id", "organization_id", "event_type", "occurred_at")}
        self._webhook_queue.put((self._generation, org["webhook_url"], payload))
        if self._webhook_worker is None:
            self._webhook_worker = threading.Thread(target=self._deliver_webhooks, name="fake-credly-webhooks",
                                                    daemon=True)
            self._webhook_worker.start()

    def _deliver_webhooks(self) -> None:
        """One worker posts notifications in order; a dead receiver must never hurt the server."""
        # No proxies: the receiver is always on loopback.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while (item := self._webhook_queue.get()) is not None:
            generation, url, payload = item
            if generation != self._generation:
                continue
            status, error = None, None
            request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers={
                "Content-Type": "application/json", "User-Agent": "fake-credly-webhooks/1"})
            try:
                with opener.open(request, timeout=self.webhook_timeout) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except Exception as exc:  # pylint: disable=broad-except
                error = f"{type(exc).__name__}: {exc}"
            ok = status is not None and 200 <= status < 300
            with self._lock:
                if generation != self._generation:
                    continue
                self._deliveries.append({"event_id": payload["id"], "event_type": payload["event_type"],
                                         "url": url, "status": status, "error": error, "ok": ok,
                                         "attempted_at": _iso(self.now())})
                self._stats["webhook_deliveries"] += 1
                self._stats["webhook_deliveries_ok" if ok else "webhook_deliveries_failed"] += 1
