"""
URLs of the dev host plus a stand-in profile micro-frontend, for the widget's Chromium test.

``/profile-mfe/u/<username>`` is a profile page whose plugin slot is the real
frontend-plugin-framework ``PluginSlot`` holding the widget (``frontend/browser-test``,
bundled with esbuild). It is served by the same host as the API, so the test needs no
CORS setup; the MFE's JWT client is replaced by a fetch with the session cookie.
"""
import json
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse
from django.urls import path
from django.utils.html import escape

from devhost.urls import urlpatterns as devhost_urlpatterns

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
BUNDLE = FRONTEND / "browser-test" / "build" / "bundle.js"
PARAGON_CSS = FRONTEND / "node_modules" / "@openedx" / "paragon" / "dist" / "core.min.css"
PARAGON_THEME = FRONTEND / "node_modules" / "@openedx" / "paragon" / "dist" / "light.min.css"

PAGE = """<!DOCTYPE html>
<html lang="__LOCALE__"><head><meta charset="utf-8"><title>Profile of __USERNAME__</title>
<link rel="stylesheet" href="/profile-mfe/static/core.css">
<link rel="stylesheet" href="/profile-mfe/static/light.css">
<style>body { background: #f2f0ef; } main { max-width: 1040px; margin: 24px auto; padding: 24px;
background: #fff; border-radius: 6px; } #profile-fields { margin-bottom: 24px; }</style></head>
<body><main>
<h1 class="h2">__USERNAME__</h1><p id="profile-fields" class="text-gray-700">Member since 2026 &middot; London</p>
<div id="slot"></div>
</main>
<script>window.CREDLY_TEST_PAGE = __PAGE_JSON__;</script>
<script src="/profile-mfe/static/bundle.js"></script>
</body></html>
"""


def profile_page(request, username):
    """The profile page of ``username``, as the MFE renders it around the slot."""
    user = request.user
    page = {
        "lmsBaseUrl": f"{request.scheme}://{request.get_host()}",
        "locale": request.GET.get("locale", "en"),
        "user": {"username": user.username} if user.is_authenticated else None,
    }
    html = (PAGE.replace("__USERNAME__", escape(username)).replace("__LOCALE__", page["locale"])
            .replace("__PAGE_JSON__", json.dumps(page)))
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
    files = {"bundle.js": BUNDLE, "core.css": PARAGON_CSS, "light.css": PARAGON_THEME}
    if name not in files or not files[name].exists():
        raise Http404(name)
    return FileResponse(open(files[name], "rb"))


urlpatterns = [
    path("profile-mfe/u/<str:username>", profile_page),
    path("profile-mfe/static/<str:name>", static_file),
    path("profile-mfe/images/<slug:slug>.svg", badge_image),
] + devhost_urlpatterns
