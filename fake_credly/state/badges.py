"""
Issued badges: issue, revoke, the earner's accept or reject, an admin's delete, and the
lists with their filters, sort and pages.

A badge is checked as Credly checks it (422 with Credly's message) and refused as a
duplicate while the same person holds a live one of that template (unless the template
allows duplicates). Earners are Credly users: their badges may be accepted at once, and
all their emails count as one person. Every change of a badge records a ``badge.*`` event.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid

from .base import ISSUED_AT_FORMAT, FakeCredlyError, StateBase, iso, parse_datetime, split_csv
from .templates import TEMPLATE_NOT_FOUND_MESSAGE

# strptime alone would also take "+00:00" or "Z"; the contract says "+0000", so be strict
# and let a client that drifts from it find out here rather than on Credly.
_ISSUED_AT_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REQUIRED_BADGE_FIELDS = (
    "recipient_email", "issued_to_first_name", "issued_to_last_name", "badge_template_id", "issued_at",
)
LOCALES = frozenset({"en", "fr", "de", "ko", "ja", "zh-CN", "pt", "es-ES", "es-US", "fr-CA", "pt-BR"})
DUPLICATE_MESSAGE = "User already has this badge"
BADGE_FILTERS = frozenset({
    "recipient_email", "recipient_email_all", "badge_template_id", "state", "issuer_earner_id",
    "issued_at_min", "issued_at_max",
})


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


class BadgesMixin(StateBase):
    """
    Badges by id and the indexes that keep each request O(1), or O(page) for lists.

    ``_live_by_*`` hold only badges that are not revoked nor deleted: these decide duplicates.
    """

    def _forget_badges(self) -> None:
        """No badges and no earners; the issue order starts again."""
        self._badges = {}
        self._badges_by_org: dict[str, list[str]] = {}
        self._badges_by_email: dict[tuple, list[str]] = {}
        self._badges_by_template: dict[tuple, list[str]] = {}
        self._live_by_email: dict[tuple, set[str]] = {}
        self._live_by_earner_id: dict[tuple, set[str]] = {}
        self._earners: dict[str, dict] = {}
        self._seq = 0

    def add_earner(self, email: str, auto_accept: bool = True, other_emails: list[str] | None = None) -> dict:
        """Make a Credly user: their badges may auto-accept, and all their emails count as one person."""
        with self._lock:
            emails = [email.lower()] + [e.lower() for e in other_emails or []]
            earner = {"id": str(uuid.uuid4()), "emails": emails, "auto_accept": bool(auto_accept)}
            for address in emails:
                self._earners[address] = earner
            return dict(earner)

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
            self._badges_by_org.setdefault(org_id, []).append(badge_id)
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
            templates = split_csv(filters["badge_template_id"]) if "badge_template_id" in filters else None
            if emails is not None:
                candidates = [b for e in emails for b in self._badges_by_email.get((org_id, e), ())]
            elif templates is not None:
                candidates = [b for t in templates for b in self._badges_by_template.get((org_id, t), ())]
            else:
                candidates = self._badges_by_org.get(org_id, [])
            states = split_csv(filters["state"]) if "state" in filters else None
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

    def all_badges(self) -> list[dict]:
        with self._lock:
            return [self._badge_json(b) for b in self._badges.values()]

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

    def _badge_json(self, badge: dict) -> dict:
        """A badge as Credly answers it."""
        template = self._template_json(self._templates[badge["template_id"]])
        org = self._orgs[badge["organization_id"]]
        names = [badge["issued_to_first_name"], badge["issued_to_middle_name"], badge["issued_to_last_name"]]
        badge_id, pending = badge["id"], badge["state"] == "pending"
        return {
            # Answered in Credly's ISO 8601 whatever format the request used: compare instants, not strings.
            "id": badge_id, "state": badge["state"], "issued_at": iso(badge["issued_at_dt"]),
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
            "state_updated_at": iso(badge["state_updated_at"]), "accepted_at": iso(badge["accepted_at"]),
            "expires_at": iso(badge["expires_at"]), "revoked_at": iso(badge["revoked_at"]),
            "revocation_reason": badge["revocation_reason"], "created_at": iso(badge["created_at"]),
            "locale": badge["locale"], "evidence": badge["evidence"], "public": True,
            "replaces_badge_id": None, "alignments": [], "badge_template": template,
            "user": {"id": badge["user_id"], "first_name": badge["issued_to_first_name"],
                     "last_name": badge["issued_to_last_name"]},
            "issuer": {"summary": f"issued by {org['name']}", "entities": [
                {"label": "Issued by", "primary": True,
                 "entity": {"type": "Organization", "id": org["id"], "name": org["name"]}}]},
            "created_by": {"type": "AuthorizationToken", "organization_id": org["id"]},
        }
