"""
A fake Credly server for the demo, end-to-end tests and benchmarks (never shipped in the wheel).

It speaks the contract in ``credly-api.md`` over real HTTP on 127.0.0.1, keeps its
data in memory, and takes orders from tests::

    with FakeCredlyServer() as credly:                  # or the ``fake_credly`` pytest fixture
        org = credly.state.add_organization("Acme")     # -> id, token, client_id, client_secret
        template = credly.state.add_template(org["id"], "Python 101")
        # point the client at credly.api_base_url / credly.oauth_token_url ...

From another process use ``FakeCredlyControl(url)``, or ``python -m fake_credly``.

Contract choices where the document leaves room:

* Unknown or other-organization template on issue: 422 "Badge template not found"
  (on ``GET badge_templates/{id}``: 404). Inactive template: 422.
* Duplicate: 422 "User already has this badge", decided per template on recipient
  email (all emails of a seeded earner count as one person) or ``issuer_earner_id``.
  Revoked and deleted badges do not count; pending, accepted and rejected ones do.
* A valid credential used on another organization: 403; unknown organization: 404
  (checked after the credential, so a bad credential is always 401).
* ``issued_at`` must be exactly ``"%Y-%m-%d %H:%M:%S %z"`` with a ``+hhmm`` offset, and
  is answered, like every timestamp, in ISO 8601 UTC with milliseconds
  (``2026-11-25T10:00:00.000Z``), as Credly answers: never echoed as sent.
* ``accept_badge_url`` is null once the badge is no longer pending.
* Unknown ``filter`` keys answer 422 instead of being ignored. Default order: issue order.
* Revoking an already revoked badge: 422 "Badge has already been revoked".
* Events render their badge/template as it is now, not as it was.
* Authorization tokens expire after 180 days unless seeded otherwise.
* OAuth: body as form or JSON, or client credentials in HTTP Basic; answer not
  wrapped in ``data``; errors ``{"error": "invalid_client", "data": {"message": ...}}``.
* Faults, rate limit and latency apply to ``/v1`` and ``/oauth/token``. Fault kinds
  (optional ``path_contains`` and ``method`` narrow them; ``count`` defaults to 1
  unless ``probability`` is given, then it stays until cleared):
  ``{"status": 500}``, ``{"status": 429, "retry_after": 2}``, ``{"status": 401}``,
  ``{"timeout": s}`` (sleeps, then 504 without touching state),
  ``{"after_commit_timeout": s}`` (does the work, then sleeps before answering),
  ``{"after_commit_drop": true}`` (does the work, then drops the connection unanswered),
  ``{"after_commit_without_id": true}`` (does the work, answers 201 without ``data.id``),
  ``{"redirect_to": url}`` (answers 302, or ``status``, to ``url`` with a badge-shaped body;
  Credly itself never redirects, this stands for a proxy or an attacker in between).
* Rate limit: a per-organization token bucket of ``per_second`` tokens; 429 with
  ``Retry-After: 1`` when empty.
"""
from .control import FakeCredlyControl
from .server import FakeCredlyServer
from .state import FakeCredlyError, FakeCredlyState

__all__ = ["FakeCredlyControl", "FakeCredlyError", "FakeCredlyServer", "FakeCredlyState"]
