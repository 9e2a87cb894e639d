"""
``POST /api/credly/v1/webhook/``: where Credly notifies us of badge and template events.

Credly signs nothing, so the body is only trusted for two ids: the organization's
and the event's. The event itself is fetched from Credly later, in a task, with the
organization's own credential (see ``openedx_credly.syncing.webhooks``). This view answers
at once: malformed bodies get 400, every well-formed one gets the same 200, whether
or not the organization is connected here, so the endpoint tells an outsider nothing.
"""
import logging
import re

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from openedx_credly import safe_json
from openedx_credly.syncing import webhooks

log = logging.getLogger(__name__)

# Credly's ids are UUIDs; anything else (slashes, dots, spaces) is refused outright.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
EVENT_TYPE_PATTERN = re.compile(r"^[a-z0-9_.]{1,64}$")


def _bad_request(message):
    return JsonResponse({"developer_message": message, "detail": message}, status=400)


def _max_body_bytes():
    return int(getattr(settings, "CREDLY_WEBHOOK_MAX_BODY_BYTES", 10 * 1024))


def parse_notification(raw):
    """``(organization_id, event_id, event_type)`` from a notification body, or raise ``ValueError``."""
    try:
        data = safe_json.loads(raw)
    except safe_json.JSONBodyError as error:
        raise ValueError(str(error)) from error
    if not isinstance(data, dict):
        raise ValueError("The body must be a JSON object.")
    values = {}
    for key, pattern in (("id", ID_PATTERN), ("organization_id", ID_PATTERN), ("event_type", EVENT_TYPE_PATTERN)):
        value = data.get(key)
        if value is None:
            raise ValueError(f"{key} is missing.")
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string.")
        if not pattern.match(value):
            raise ValueError(f"{key} is not valid.")
        values[key] = value
    return values["organization_id"], values["id"], values["event_type"]


@csrf_exempt
@require_POST
def credly_webhook(request):
    """Record a Credly notification and enqueue its processing; see the module docstring."""
    limit = _max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _bad_request("Content-Length is not a number.")
    if declared > limit:
        return _bad_request(f"The body is larger than {limit} bytes.")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return _bad_request(f"The body is larger than {limit} bytes.")
    try:
        organization_id, event_id, event_type = parse_notification(raw)
    except ValueError as error:
        return _bad_request(str(error))
    webhooks.receive_notification(organization_id, event_id, event_type)
    return JsonResponse({"received": True})
