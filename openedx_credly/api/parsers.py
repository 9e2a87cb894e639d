"""The one JSON parser of the REST API: bounded size and nesting, strict UTF-8, clear 400s."""
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from openedx_credly import safe_json


def max_body_bytes():
    """Largest JSON body the API reads (``CREDLY_API_MAX_BODY_BYTES``)."""
    return int(getattr(settings, "CREDLY_API_MAX_BODY_BYTES", 64 * 1024))


class JSONParser(parsers.JSONParser):
    """
    DRF's JSON parser, reading through ``safe_json.loads``.

    A body larger than ``CREDLY_API_MAX_BODY_BYTES``, not UTF-8, or nesting deeper than
    ``safe_json.MAX_DEPTH`` is a ``ParseError`` (400) that says so, never a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(f"The body is larger than {limit} bytes.")
        try:
            return safe_json.loads(raw)
        except safe_json.JSONBodyError as error:
            raise ParseError(str(error)) from error
