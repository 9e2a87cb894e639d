"""The one JSON parser of the REST API: bounded size and nesting, strict UTF-8, clear 400s."""
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType
from rest_framework.utils.mediatypes import media_type_matches

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


class BodyTooLarge(APIException):
    """A 413 for a body over the view's limit, measured before anything reads it."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def declared_length(request):
    """The body's size as its ``Content-Length`` header states it (0 when absent or not a number)."""
    length = str(request.META.get("CONTENT_LENGTH") or "").strip()
    return int(length) if length.isdigit() else 0


class BoundedBodyMixin:
    """
    Checks every body an API view receives before anything reads it.

    A body larger than the view's ``max_body_bytes`` (``CREDLY_API_MAX_BODY_BYTES`` by
    default) is a 413, measured from ``Content-Length``: reading ``request.body`` fails
    once the CSRF check has parsed a form body, and Django refuses bodies over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with an HTML page. A media type none of the view's
    parsers reads (a form, ``multipart/form-data``) is a 415, even when the CSRF check has
    already consumed the stream and DRF would find an empty body instead. Both answer in
    the API's JSON, like any other error.
    """

    max_body_bytes = None
    body_methods = ("POST", "PUT", "PATCH")

    def initial(self, request, *args, **kwargs):
        """Authentication and permissions first (an anonymous caller hears 401), then the body."""
        super().initial(request, *args, **kwargs)
        if request.method not in self.body_methods:
            return
        limit = self.body_limit()
        if declared_length(request) > limit:
            raise BodyTooLarge(_("The request body is larger than %(max)s bytes.") % {"max": limit})
        if declared_length(request) and not any(
            media_type_matches(parser.media_type, request.content_type) for parser in self.get_parsers()
        ):
            raise UnsupportedMediaType(request.content_type)

    def body_limit(self):
        """The view's limit, or Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` when the site set that lower."""
        limit = self.max_body_bytes or max_body_bytes()
        django_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return min(limit, django_limit) if django_limit else limit

    def handle_exception(self, exc):
        if isinstance(exc, RequestDataTooBig):
            exc = BodyTooLarge(_("The request body is larger than %(max)s bytes.") % {"max": self.body_limit()})
        return super().handle_exception(exc)
