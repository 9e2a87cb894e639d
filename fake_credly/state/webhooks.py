"""
Events and their webhook notifications.

Every change to a badge or a template is stored as an event, which the API answers with
the badge or template as it is now. An organization may subscribe a loopback URL to some or
all event types; one background worker then POSTs each notification in order and logs the
delivery, and a test can ask for an event to be delivered again, as Credly does after a
failed delivery. A reset drops the notifications still queued for the previous test.
"""
from __future__ import annotations

import json
import queue
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

from .base import FakeCredlyError, StateBase, iso

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class WebhooksMixin(StateBase):
    """Events in order, the webhook queue and its worker, and the log of deliveries."""

    webhook_timeout: float

    def _init_webhooks(self) -> None:
        """The queue and the worker outlive resets; the worker starts with the first notification."""
        self._webhook_queue: queue.Queue = queue.Queue()
        self._webhook_worker: threading.Thread | None = None
        self._generation = 0

    def _forget_events(self) -> None:
        self._generation += 1  # queued webhooks of the previous test are dropped
        self._events = {}
        self._event_order: list[str] = []
        self._deliveries: list[dict] = []

    def _stop_webhooks(self) -> None:
        if self._webhook_worker is not None:
            self._webhook_queue.put(None)
            self._webhook_worker.join(timeout=self.webhook_timeout + 1)
            self._webhook_worker = None

    def set_webhook(self, org_id: str, url: str | None, event_types: list[str] | None = None) -> None:
        """Register where event notifications go; only loopback URLs, this fake never leaves the host."""
        if url is not None:
            parsed = urllib.parse.urlsplit(url)
            if parsed.scheme not in ("http", "https") or parsed.hostname not in LOOPBACK_HOSTS:
                raise FakeCredlyError(400, "Webhook URL must be http(s) on 127.0.0.1/localhost")
        with self._lock:
            org = self._org(org_id, status=404)
            org["webhook_url"], org["webhook_event_types"] = url, event_types

    def get_event(self, org_id: str, event_id: str) -> dict:
        """One of the organization's events, with its badge or template as they are now."""
        with self._lock:
            event = self._events.get(event_id)
            if event is None or event["organization_id"] != org_id:
                raise FakeCredlyError(404, "Event not found")
            return self._event_json(event)

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

    def _record_event(self, event_type: str, org_id: str, badge_id: str | None = None,
                      template_id: str | None = None) -> dict:
        """Store an event about a badge or a template and queue its webhook notification."""
        event = {"id": str(uuid.uuid4()), "event_type": event_type, "organization_id": org_id,
                 "occurred_at": iso(self.now()), "badge_id": badge_id, "template_id": template_id}
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
                                         "attempted_at": iso(self.now())})
                self._stats["webhook_deliveries"] += 1
                self._stats["webhook_deliveries_ok" if ok else "webhook_deliveries_failed"] += 1
