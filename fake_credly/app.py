"""
WSGI application of the fake Credly: HTTP in, :class:`~fake_credly.state.FakeCredlyState` calls, JSON out.

Three areas share one URL space, as they share hosts on the real service:

* ``/v1/...`` and ``/oauth/token``: the Credly API. Latency, rate limit and faults apply
  here (in that order), before anything else, so an injected failure never changes state;
  the one exception is ``after_commit_timeout``, which sleeps after the work is done.
* ``/badges/..``, ``/earner/..``, ``/images/..``: the web pages the demo links to.
* ``/_fake/...``: unauthenticated JSON controls for tests (see ``CONTROL_RULES``).
"""
from __future__ import annotations

import hashlib
import html
import json
import time
import urllib.parse

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .state import BADGE_FILTERS, MAX_PER_PAGE, TEMPLATE_FILTERS, FakeCredlyError, FakeCredlyState

ORG = "/v1/organizations/<org_id>"
API_RULES = [
    Rule(ORG, endpoint="organization_show", methods=["GET"]),
    Rule(f"{ORG}/badge_templates", endpoint="templates_list", methods=["GET"]),
    Rule(f"{ORG}/badge_templates/<template_id>", endpoint="templates_show", methods=["GET"]),
    Rule(f"{ORG}/badges", endpoint="badges_list", methods=["GET"]),
    Rule(f"{ORG}/badges", endpoint="badges_create", methods=["POST"]),
    Rule(f"{ORG}/badges/<badge_id>", endpoint="badges_show", methods=["GET"]),
    Rule(f"{ORG}/badges/<badge_id>/revoke", endpoint="badges_revoke", methods=["PUT"]),
    Rule(f"{ORG}/events/<event_id>", endpoint="events_show", methods=["GET"]),
    Rule(f"{ORG}/authorization_tokens", endpoint="tokens_list", methods=["GET"]),
    Rule("/oauth/token", endpoint="oauth_token", methods=["POST"]),
]
WEB_RULES = [
    Rule("/badges/<badge_id>", endpoint="web_badge", methods=["GET"]),
    Rule("/earner/badges/<badge_id>/accept", endpoint="web_accept", methods=["GET", "POST"]),
    Rule("/images/<template_id>.svg", endpoint="web_image", methods=["GET"]),
]
CONTROL_RULES = [
    Rule("/_fake/reset", endpoint="reset", methods=["POST"]),
    Rule("/_fake/seed-demo", endpoint="seed_demo", methods=["POST"]),
    Rule("/_fake/organizations", endpoint="add_organization", methods=["POST"]),
    Rule("/_fake/organizations/<org_id>/tokens", endpoint="add_token", methods=["POST"]),
    Rule("/_fake/organizations/<org_id>/credentials/revoke", endpoint="revoke_credentials", methods=["POST"]),
    Rule("/_fake/organizations/<org_id>/credentials/restore", endpoint="restore_credentials", methods=["POST"]),
    Rule("/_fake/organizations/<org_id>/webhook", endpoint="set_webhook", methods=["POST"]),
    Rule("/_fake/organizations/<org_id>/badge_templates", endpoint="add_template", methods=["POST"]),
    Rule("/_fake/badge_templates/<template_id>", endpoint="update_template", methods=["PATCH"]),
    Rule("/_fake/badges/<badge_id>/accept", endpoint="accept_badge", methods=["POST"]),
    Rule("/_fake/badges/<badge_id>/reject", endpoint="reject_badge", methods=["POST"]),
    Rule("/_fake/badges/<badge_id>", endpoint="delete_badge", methods=["DELETE"]),
    Rule("/_fake/earners", endpoint="add_earner", methods=["POST"]),
    Rule("/_fake/faults", endpoint="faults", methods=["GET", "POST", "DELETE"]),
    Rule("/_fake/rate_limit", endpoint="set_rate_limit", methods=["POST"]),
    Rule("/_fake/latency", endpoint="set_latency", methods=["POST"]),
    Rule("/_fake/oauth", endpoint="set_oauth", methods=["POST"]),
    Rule("/_fake/clock", endpoint="advance_clock", methods=["POST"]),
    Rule("/_fake/stats", endpoint="stats", methods=["GET"]),
    Rule("/_fake/badges", endpoint="all_badges", methods=["GET"]),
    Rule("/_fake/requests", endpoint="recent_requests", methods=["GET"]),
    Rule("/_fake/events", endpoint="all_events", methods=["GET"]),
    Rule("/_fake/events/<event_id>/deliver", endpoint="deliver_event", methods=["POST"]),
    Rule("/_fake/deliveries", endpoint="deliveries", methods=["GET"]),
]
# Recorded in the request log only as "***": the log is for asserting on the contract, not secrets.
SECRET_FIELDS = frozenset({"client_secret", "token"})


class DropConnection(Exception):
    """Raised to close the client's connection without any answer (see ``server.py``)."""


def _json(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers, mimetype="application/json")


def api_error(status: int, message: str, headers: dict | None = None) -> Response:
    """Credly's error shape: the message under ``data.message``."""
    return _json({"data": {"message": message}, "metadata": {}}, status, headers)


def _normalize(path: str) -> str:
    """Credly accepts ``.../badges``, ``.../badges/`` and ``.../badges.json`` alike."""
    if path.endswith(".json"):
        path = path[:-5]
    return path.rstrip("/") or "/"


def _int_arg(request: Request, name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default


class FakeCredlyApp:
    """The WSGI callable; stateless itself, everything lives in ``self.state``."""

    def __init__(self, state: FakeCredlyState):
        self.state = state
        self.url_map = Map(API_RULES + WEB_RULES + CONTROL_RULES, strict_slashes=False)

    def __call__(self, environ, start_response):
        request = Request(environ)
        path = _normalize(request.path)
        if path.startswith("/_fake/"):
            response = self._control(request, path)
        else:
            started = time.monotonic()
            route, args = self._match(request, path)
            if path.startswith("/v1/") or path == "/oauth/token":
                try:
                    response = self._api(request, path, route, args)
                except DropConnection:
                    self.state.record_request(f"{request.method} {route}", 0, None)
                    connection = environ.get("werkzeug.socket")
                    if connection is not None:
                        try:
                            connection.shutdown(2)  # socket.SHUT_RDWR: the client reads end of stream
                        except OSError:
                            pass
                    return Response(status=204)(environ, start_response)
            else:
                response = self._web(request, route, args)
            self.state.record_request(f"{request.method} {route}", response.status_code,
                                      self._log_entry(request, route, response, started))
        return response(environ, start_response)

    def _match(self, request: Request, path: str) -> tuple[str, dict]:
        try:
            return self.url_map.bind("fake-credly").match(path, request.method)
        except HTTPException as exc:
            return f"unmatched_{exc.code}", {}

    # ------------------------------------------------------------------ API
    def _api(self, request: Request, path: str, route: str, args: dict) -> Response:
        """Answer an API call: latency, rate limit and faults first, then the ``api_<route>`` method."""
        state = self.state
        if state.latency:
            state.sleep(state.latency)
        # Buckets are per organization, as a client pauses per organization on 429.
        parts = path.split("/")
        if not state.take_rate_limit_slot(parts[3] if len(parts) > 3 else "other"):
            return api_error(429, "Rate limit exceeded", {"Retry-After": "1"})
        fault = state.take_fault(request.method, path)
        after_commit = fault is not None and (
            fault.after_commit_timeout is not None or fault.after_commit_drop or fault.after_commit_without_id)
        if fault and fault.redirect_to:
            return _json({"data": {"id": "not-a-credly-badge", "state": "accepted"}}, fault.status,
                         {"Location": fault.redirect_to})
        if fault and not after_commit:
            if fault.timeout:
                state.sleep(fault.timeout)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
            return api_error(fault.status, f"Injected fault (HTTP {fault.status})", headers)
        if route.startswith("unmatched_"):
            response = api_error(int(route.rsplit("_", 1)[1]), "Not found" if route.endswith("404")
                                 else "Method not allowed")
        else:
            try:
                response = getattr(self, f"api_{route}")(request, **args)
            except FakeCredlyError as exc:
                response = api_error(exc.status, exc.message)
        if fault and fault.after_commit_drop:  # the work is done, the connection dies before the answer
            raise DropConnection()
        if fault and fault.after_commit_without_id and response.status_code == 201:
            envelope = json.loads(response.get_data())
            envelope["data"] = state.drop_id(envelope["data"])
            response = _json(envelope, 201)
        if fault and fault.after_commit_timeout is not None:  # the client just never hears about it
            state.sleep(fault.after_commit_timeout)
        return response

    def _body(self, request: Request) -> dict:
        """The request's JSON object (empty when there is no body); 422 for anything else, as Credly."""
        body = request.get_json(silent=True)
        if body is None and request.get_data():
            raise FakeCredlyError(422, "Request body must be JSON sent with Content-Type: application/json")
        if body is not None and not isinstance(body, dict):
            raise FakeCredlyError(422, "Request body must be a JSON object")
        return body or {}

    def _filters(self, request: Request, allowed: frozenset) -> dict[str, str]:
        """The ``filter=key::value|...`` clauses as a dict; 422 for a key not in ``allowed``."""
        filters = {}
        for clause in filter(None, request.args.get("filter", "").split("|")):
            key, sep, value = clause.partition("::")
            if not sep or key not in allowed:
                # Unknown keys are refused rather than ignored: an ignored typo would list every badge.
                raise FakeCredlyError(422, f"Unsupported filter {clause!r}; known keys: {sorted(allowed)}")
            filters[key] = value
        return filters

    def _paged(self, request: Request, fetch) -> Response:
        """One page of ``fetch(page, per)``'s items in Credly's envelope, with its pagination metadata."""
        page = max(1, _int_arg(request, "page", 1))
        per = min(MAX_PER_PAGE, max(1, _int_arg(request, "per", MAX_PER_PAGE)))
        items, total = fetch(page, per)
        total_pages = max(1, -(-total // per))

        def page_url(number):
            query = request.args.to_dict(flat=False)
            query.update(page=[str(number)], per=[str(per)])
            return f"{request.base_url}?{urllib.parse.urlencode(query, doseq=True)}"

        return _json({"data": items, "metadata": {
            "count": len(items), "current_page": page, "total_count": total, "total_pages": total_pages,
            "per": per, "previous_page_url": page_url(page - 1) if 1 < page <= total_pages + 1 else None,
            "next_page_url": page_url(page + 1) if page < total_pages else None,
        }})

    def _auth(self, request: Request, org_id: str) -> None:
        self.state.authenticate(request.headers.get("Authorization"), org_id)

    def api_organization_show(self, request, org_id):
        self._auth(request, org_id)
        return _json({"data": self.state.get_organization(org_id), "metadata": {}})

    def api_templates_list(self, request, org_id):
        self._auth(request, org_id)
        filters = self._filters(request, TEMPLATE_FILTERS)
        return self._paged(request, lambda page, per: self.state.list_templates(org_id, filters, page, per))

    def api_templates_show(self, request, org_id, template_id):
        self._auth(request, org_id)
        return _json({"data": self.state.get_template(org_id, template_id), "metadata": {}})

    def api_badges_list(self, request, org_id):
        self._auth(request, org_id)
        filters, sort = self._filters(request, BADGE_FILTERS), request.args.get("sort")
        return self._paged(request, lambda page, per: self.state.list_badges(org_id, filters, sort, page, per))

    def api_badges_create(self, request, org_id):
        self._auth(request, org_id)
        return _json({"data": self.state.issue_badge(org_id, self._body(request)), "metadata": {}}, 201)

    def api_badges_show(self, request, org_id, badge_id):
        self._auth(request, org_id)
        return _json({"data": self.state.get_badge(org_id, badge_id), "metadata": {}})

    def api_badges_revoke(self, request, org_id, badge_id):
        """``PUT .../badges/<id>/revoke``: revoke the badge with the body's reason."""
        self._auth(request, org_id)
        body = self._body(request)
        badge = self.state.revoke_badge(org_id, badge_id, body.get("reason"),
                                        bool(body.get("suppress_revoke_notification_email")))
        return _json({"data": badge, "metadata": {}})

    def api_events_show(self, request, org_id, event_id):
        self._auth(request, org_id)
        return _json({"data": self.state.get_event(org_id, event_id), "metadata": {}})

    def api_tokens_list(self, request, org_id):
        self._auth(request, org_id)
        tokens = self.state.list_tokens(org_id)
        return self._paged(request, lambda page, per: (tokens[(page - 1) * per: page * per], len(tokens)))

    def api_oauth_token(self, request):
        """``POST /oauth/token``: an access token for client credentials sent as form, JSON or Basic auth."""
        fields = request.get_json(silent=True) if request.is_json else request.form
        if not hasattr(fields, "get"):  # invalid JSON or a JSON list: treat as no fields at all
            fields = {}
        client_id, client_secret = fields.get("client_id"), fields.get("client_secret")
        if request.authorization and request.authorization.type == "basic":  # RFC 6749 client_secret_basic
            client_id, client_secret = request.authorization.username, request.authorization.password
        try:
            grant = self.state.issue_access_token(client_id, client_secret, fields.get("grant_type"),
                                                  fields.get("scope"))
        except FakeCredlyError as exc:
            return _json({"error": exc.message, "data": {"message": exc.message}}, exc.status)
        return _json(grant, headers={"Cache-Control": "no-store"})

    # ------------------------------------------------------------------ web pages
    def _web(self, request: Request, route: str, args: dict) -> Response:
        """Answer a web page request with the ``web_<route>`` method, or an HTML error page."""
        try:
            if route.startswith("unmatched_"):
                raise FakeCredlyError(404, "Page not found")
            return getattr(self, route)(request, **args)
        except FakeCredlyError as exc:
            return self._page("Fake Credly", f"<p>{html.escape(exc.message)}</p>", exc.status)

    @staticmethod
    def _page(title: str, body: str, status: int = 200) -> Response:
        """A minimal HTML page around ``body``."""
        page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
                f"<body style='font-family:sans-serif;max-width:40em;margin:2em auto'>"
                f"<p><small>Fake Credly (test double)</small></p>{body}</body></html>")
        return Response(page, status=status, mimetype="text/html")

    def web_badge(self, request, badge_id):
        """The public page of a badge, as the demo links to it."""
        badge = self.state.public_badge(badge_id)
        template = badge["badge_template"]
        extra = (f"<p>Revoked: {html.escape(badge['revocation_reason'] or '')}</p>"
                 if badge["state"] == "revoked" else "")
        accept = (f"<p><a href='{html.escape(badge['accept_badge_url'])}'>Accept this badge</a></p>"
                  if badge["accept_badge_url"] else "")
        return self._page(template["name"], (
            f"<h1>{html.escape(template['name'])}</h1>"
            f"<img src='{html.escape(badge['image_url'])}' width='160' height='160' alt=''>"
            f"<p>Issued to <strong>{html.escape(badge['issued_to'])}</strong> on {badge['issued_at_date']}</p>"
            f"<p>State: <strong id='state'>{badge['state']}</strong></p>{extra}{accept}"))

    def web_accept(self, request, badge_id):
        """The earner's page accepting a pending badge (GET shows the form, POST accepts)."""
        if request.method == "POST":
            self.state.accept_badge(badge_id)
            return Response(status=303, headers={"Location": f"/badges/{badge_id}"})
        badge = self.state.public_badge(badge_id)
        if badge["state"] != "pending":
            return self._page("Badge", f"<p>This badge is already {badge['state']}.</p>")
        return self._page("Accept your badge", (
            f"<h1>{html.escape(badge['badge_template']['name'])}</h1>"
            f"<p>{html.escape(badge['issued_to'])}, you have earned this badge.</p>"
            f"<form method='post'><button type='submit'>Accept badge</button></form>"))

    def web_image(self, request, template_id):
        """A template's badge image: an SVG hexagon with its initials."""
        name = self.state.template_name(template_id)
        hue = int(hashlib.sha1(template_id.encode()).hexdigest()[:4], 16) % 360
        initials = html.escape("".join(word[0] for word in name.split()[:3]).upper())
        svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='160' height='160' viewBox='0 0 160 160'>"
               f"<polygon points='80,6 146,44 146,116 80,154 14,116 14,44' fill='hsl({hue},55%,45%)'/>"
               f"<text x='80' y='94' font-size='40' font-family='sans-serif' fill='white' "
               f"text-anchor='middle'>{initials}</text></svg>")
        return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=3600"})

    # ------------------------------------------------------------------ controls
    def _control(self, request: Request, path: str) -> Response:
        """Run a ``/_fake/`` control: a ``control_<endpoint>`` method, else the state method of that name."""
        try:
            endpoint, args = self.url_map.bind("fake-credly").match(path, request.method)
        except HTTPException as exc:
            return _json({"error": exc.name}, exc.code)
        body = request.get_json(force=True, silent=True) if request.get_data() else {}
        if body is None:
            return _json({"error": "Body must be JSON"}, 400)
        try:
            result = getattr(self, f"control_{endpoint}", None)
            if result is not None:
                result = result(request, body, **args)
            else:  # most controls map one to one onto a state method taking the body as keywords
                result = getattr(self.state, endpoint)(**args, **body)
        except FakeCredlyError as exc:
            return _json({"error": exc.message}, exc.status)
        except (TypeError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"ok": True} if result is None else result)

    def control_faults(self, request, body):
        """List (GET), clear (DELETE) or add (POST, one spec or a list) injected faults."""
        if request.method == "GET":
            return self.state.faults()
        if request.method == "DELETE":
            return self.state.clear_faults()
        return self.state.add_faults(*(body if isinstance(body, list) else [body]))

    def control_set_rate_limit(self, request, body):
        return self.state.set_rate_limit(body.get("per_second"))

    def control_set_oauth(self, request, body):
        return self.state.set_access_token_lifetime(body["access_token_lifetime"])

    def control_advance_clock(self, request, body):
        return self.state.advance_clock(float(body["seconds"]))

    def control_recent_requests(self, request, _body):
        return self.state.recent_requests(_int_arg(request, "limit", 50))

    def _log_entry(self, request: Request, route: str, response: Response, started: float) -> dict:
        """The request log entry of an API or web call: no Authorization header, secret fields masked."""
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        auth = request.headers.get("Authorization")
        body = request.get_json(silent=True)
        if body is None and request.form:
            body = request.form.to_dict()
        if isinstance(body, dict):
            body = {k: "***" if k in SECRET_FIELDS else v for k, v in body.items()}
        return {
            "method": request.method, "path": request.path, "route": route,
            "query": request.args.to_dict(), "headers": headers,
            "auth_scheme": auth.split(" ", 1)[0] if auth else None,
            "json": body, "status": response.status_code,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
