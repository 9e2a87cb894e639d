"""
Which URLs from Credly the plugin keeps and shows.

Credly's answers (templates, badges, events) carry URLs that end up in ``src`` and
``href`` attributes of the panel and the admin and in API answers. A proxy, a bug or a
forged answer could put ``javascript:`` or ``data:`` there, so every URL is checked by
``credly_url`` where it enters (template sync, webhook events, imports, refreshes and the
answers to issuing) and again where stored ones are shown. Accepted:

* ``https`` URLs with a host and no user name or password;
* ``http`` URLs only on a host where the operator configured Credly over ``http``
  (one of the ``CREDLY_*_BASE_URL``/``CREDLY_*_OAUTH_TOKEN_URL`` settings): the fake
  Credly of tests and the demo. Against the real Credly, whose settings are all
  ``https``, no ``http`` URL is accepted.

Anything else reads as "" (no URL), never as an error: a badge with a bad image URL is
still a badge.
"""
from urllib.parse import urlsplit

from django.conf import settings

MAX_LENGTH = 1000  # the URL fields' max_length: a truncated URL would be a wrong one

CREDLY_URL_SETTINGS = (
    "CREDLY_API_BASE_URL", "CREDLY_SANDBOX_API_BASE_URL", "CREDLY_WEB_BASE_URL", "CREDLY_SANDBOX_WEB_BASE_URL",
    "CREDLY_OAUTH_TOKEN_URL", "CREDLY_SANDBOX_OAUTH_TOKEN_URL",
)


def http_hosts():
    """Hosts (``host[:port]``, lowercase) where Credly is configured over plain http."""
    hosts = set()
    for name in CREDLY_URL_SETTINGS:
        parts = urlsplit(str(getattr(settings, name, "") or ""))
        if parts.scheme.lower() == "http" and parts.netloc:
            hosts.add(parts.netloc.lower())
    return hosts


def credly_url(value):
    """``value`` if it is a URL from Credly that may be stored and shown (see above), else ""."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return ""
    if any(char <= " " or char in "\x7f\\" for char in value):
        return ""  # browsers drop tabs and newlines ("java\tscript:"); a URL from Credly has none
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if not hostname or "@" in parts.netloc:
        return ""
    if scheme == "https" or (scheme == "http" and parts.netloc.lower() in http_hosts()):
        return value
    return ""


def clean(fields, *names):
    """Replace each of ``fields[name]`` by ``credly_url`` of it, in place; returns ``fields``."""
    for name in names:
        if name in fields:
            fields[name] = credly_url(fields[name])
    return fields
