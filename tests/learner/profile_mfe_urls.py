"""
URLs of the dev host plus a stand-in profile micro-frontend, for the widget's Chromium test.

``/profile-mfe/u/<username>`` is a profile page whose plugin slot is the real
frontend-plugin-framework ``PluginSlot`` holding the widget (``frontend/browser-test``,
bundled with esbuild). It is served by the same host as the API, so the test needs no
CORS setup; the MFE's JWT client is replaced by a fetch with the session cookie (and the
CSRF token for writes).

``?width=`` sets the width of the column the slot sits in (570: the profile's half
column at 1400 px; 1140: a full-width body), ``?widget=`` which of the package's widgets
the page holds (``profile``, the default; the bundle's ``WIDGETS``), ``?locale=`` the
language. Above the slot stands the profile's last field, as the profile renders it.
"""
import json
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.utils.html import escape

from devhost.urls import urlpatterns as devhost_urlpatterns

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
BUNDLE = FRONTEND / "browser-test" / "build" / "bundle.js"
BUNDLE_CSS = FRONTEND / "browser-test" / "build" / "bundle.css"
PARAGON_CSS = FRONTEND / "node_modules" / "@openedx" / "paragon" / "dist" / "core.min.css"
PARAGON_THEME = FRONTEND / "node_modules" / "@openedx" / "paragon" / "dist" / "light.min.css"

PAGE = """<!DOCTYPE html>
<html lang="__LOCALE__"><head><meta charset="utf-8"><title>Profile of __USERNAME__</title>
<link rel="stylesheet" href="/profile-mfe/static/core.css">
<link rel="stylesheet" href="/profile-mfe/static/light.css">
<link rel="stylesheet" href="/profile-mfe/static/bundle.css">
<style>body { background: #fff; } main { padding: 48px 24px; } #column { width: __WIDTH__px; }</style></head>
<body><main>
<h1 class="h3 font-weight-bold text-primary-500">__USERNAME__</h1>
<p class="font-weight-bold text-primary-500 m-0 h2">Profile information</p>
<div id="column" class="pt-4">
  <div id="profile-fields"><p class="h5 font-weight-bold m-0 pb-1.5">Education</p>
  <p class="text-gray-700 m-0">Add level of education</p></div>
  <div id="slot"></div>
</div>
</main>
<script>window.CREDLY_TEST_PAGE = __PAGE_JSON__;</script>
<script src="/profile-mfe/static/bundle.js"></script>
</body></html>
"""


def profile_page(request, username):
    """The profile page of ``username``, as the MFE renders it around the slot."""
    user = request.user
    get_token(request)  # the csrftoken cookie, which the MFE's client sends back with its writes
    page = {
        "lmsBaseUrl": f"{request.scheme}://{request.get_host()}",
        "siteName": "Open edX Academy",
        "locale": request.GET.get("locale", "en"),
        "widget": request.GET.get("widget", "profile"),
        "user": {"username": user.username} if user.is_authenticated else None,
    }
    width = request.GET.get("width", "570")
    html = (PAGE.replace("__USERNAME__", escape(username)).replace("__LOCALE__", escape(page["locale"]))
            .replace("__WIDTH__", str(int(width)) if width.isdigit() else "570")
            .replace("__PAGE_JSON__", json.dumps(page).replace("<", "\\u003c")))
    return HttpResponse(html)


BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120">
<polygon points="60,4 108,32 108,88 60,116 12,88 12,32" fill="__COLOR__"/>
<text x="60" y="70" font-family="Arial" font-size="30" font-weight="700" fill="#fff"
      text-anchor="middle">__LABEL__</text>
</svg>"""
COLORS = {"python": "#0a3055", "data": "#9d0054", "cloud": "#0d7d4d"}


def badge_image(request, slug):
    """A badge image, as Credly's image host would serve it."""
    svg = BADGE_SVG.replace("__COLOR__", COLORS.get(slug, "#5c5c5c")).replace("__LABEL__", slug[:2].upper())
    return HttpResponse(svg, content_type="image/svg+xml")


def static_file(request, name):
    """The bundle and Paragon's stylesheets."""
    files = {"bundle.js": BUNDLE, "bundle.css": BUNDLE_CSS, "core.css": PARAGON_CSS, "light.css": PARAGON_THEME}
    if name not in files or not files[name].exists():
        raise Http404(name)
    return FileResponse(open(files[name], "rb"))


urlpatterns = [
    path("profile-mfe/u/<str:username>", profile_page),
    path("profile-mfe/static/<str:name>", static_file),
    path("profile-mfe/images/<slug:slug>.svg", badge_image),
] + devhost_urlpatterns
