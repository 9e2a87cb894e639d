"""Drive a fake Credly running in another process through its ``/_fake/`` endpoints."""
from __future__ import annotations

import requests


class FakeCredlyControl:
    """
    Thin client of the control endpoints; each method mirrors the state method of the same name.

    ``base_url`` is the server's root (``FakeCredlyServer.url``); a trailing slash is fine.
    Non-2xx answers raise ``requests.HTTPError``.
    """

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # never route 127.0.0.1 through a proxy from the environment

    def _call(self, method: str, path: str, payload=None, params=None):
        response = self.session.request(method, f"{self.base_url}/_fake/{path}", json=payload, params=params,
                                        timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def reset(self):
        return self._call("POST", "reset")

    def seed_demo(self) -> dict:
        return self._call("POST", "seed-demo")

    def add_organization(self, name: str, **fields) -> dict:
        """Fields: id, token, client_id, client_secret. Returns them all, generated where absent."""
        return self._call("POST", "organizations", {"name": name, **fields})

    def add_token(self, org_id: str, token: str, expires_at: str | None = None) -> dict:
        return self._call("POST", f"organizations/{org_id}/tokens", {"token": token, "expires_at": expires_at})

    def revoke_credentials(self, org_id: str):
        return self._call("POST", f"organizations/{org_id}/credentials/revoke")

    def restore_credentials(self, org_id: str):
        return self._call("POST", f"organizations/{org_id}/credentials/restore")

    def set_webhook(self, org_id: str, url: str | None, event_types: list[str] | None = None):
        return self._call("POST", f"organizations/{org_id}/webhook", {"url": url, "event_types": event_types})

    def add_template(self, org_id: str, name: str, **fields) -> dict:
        """Fields: id, description, state, allow_duplicate_badges, skills, vanity_slug."""
        return self._call("POST", f"organizations/{org_id}/badge_templates", {"name": name, **fields})

    def update_template(self, template_id: str, **changes) -> dict:
        return self._call("PATCH", f"badge_templates/{template_id}", changes)

    def accept_badge(self, badge_id: str) -> dict:
        return self._call("POST", f"badges/{badge_id}/accept")

    def reject_badge(self, badge_id: str) -> dict:
        return self._call("POST", f"badges/{badge_id}/reject")

    def delete_badge(self, badge_id: str):
        return self._call("DELETE", f"badges/{badge_id}")

    def add_earner(self, email: str, auto_accept: bool = True, other_emails: list[str] | None = None) -> dict:
        return self._call("POST", "earners", {"email": email, "auto_accept": auto_accept,
                                              "other_emails": other_emails or []})

    def add_faults(self, *faults: dict) -> list[dict]:
        return self._call("POST", "faults", list(faults))

    def clear_faults(self):
        return self._call("DELETE", "faults")

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")

    def set_rate_limit(self, per_second: float | None):
        return self._call("POST", "rate_limit", {"per_second": per_second})

    def set_latency(self, seconds: float):
        return self._call("POST", "latency", {"seconds": seconds})

    def set_access_token_lifetime(self, seconds: int):
        return self._call("POST", "oauth", {"access_token_lifetime": seconds})

    def advance_clock(self, seconds: float):
        return self._call("POST", "clock", {"seconds": seconds})

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def all_badges(self) -> list[dict]:
        return self._call("GET", "badges")

    def recent_requests(self, limit: int = 50) -> list[dict]:
        return self._call("GET", "requests", params={"limit": limit})

    def all_events(self) -> list[dict]:
        return self._call("GET", "events")

    def deliver_event(self, event_id: str):
        return self._call("POST", f"events/{event_id}/deliver")

    def deliveries(self) -> list[dict]:
        return self._call("GET", "deliveries")
