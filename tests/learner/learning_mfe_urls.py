"""
URLs of the dev host plus a stand-in learning micro-frontend, for the Course badges' Chromium test.

``/learning-mfe/course/<course_id>/progress`` and ``…/course-end`` are the Progress tab
and the course exit page of frontend-app-learning around its real frontend-plugin-framework
``PluginSlot``s (``frontend/browser-test/courseEntry.jsx``, bundled with esbuild), served by
the host of the API, with the session cookie for the MFE's JWT client. ``?side=<px>`` sets
the width of the Progress tab's side panel.
"""
import json

from django.http import FileResponse, Http404, HttpResponse
from django.urls import path, re_path
from django.utils.html import escape

from tests.learner.profile_mfe_urls import BUNDLE, PARAGON_CSS, PARAGON_THEME
from tests.learner.profile_mfe_urls import urlpatterns as profile_mfe_urlpatterns

COURSE_BUNDLE = BUNDLE.with_name("course-bundle.js")
COURSE_BUNDLE_CSS = BUNDLE.with_name("course-bundle.css")
BASENAME = "/learning-mfe"

PAGE = """<!DOCTYPE html>
<html lang="__LOCALE__"><head><meta charset="utf-8"><title>__TITLE__</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/learning-mfe/static/core.css">
<link rel="stylesheet" href="/learning-mfe/static/light.css">
<link rel="stylesheet" href="/learning-mfe/static/course-bundle.css">
<style>body { background: #f2f0ef; } main { background: #fff; padding-top: 24px; padding-bottom: 24px; }</style>
</head>
<body><main class="container-xl"><div id="root"></div></main>
<script>window.CREDLY_TEST_PAGE = __PAGE_JSON__;</script>
<script src="/learning-mfe/static/course-bundle.js"></script>
</body></html>
"""


def learning_page(request, course_id, page):
    """A page of the learning MFE for ``course_id``: ``progress`` or ``course-end``."""
    user = request.user
    try:
        side = int(request.GET.get("side", 0)) or None
    except ValueError:
        side = None
    settings = {
        "lmsBaseUrl": f"{request.scheme}://{request.get_host()}",
        "basename": BASENAME,
        "locale": request.GET.get("locale", "en"),
        "sidePanelWidth": side,
        "user": {"username": user.username} if user.is_authenticated else None,
    }
    title = "Progress" if page == "progress" else "Congratulations"
    html = (PAGE.replace("__TITLE__", f"{title} | {escape(course_id)}").replace("__LOCALE__", settings["locale"])
            .replace("__PAGE_JSON__", json.dumps(settings)))
    return HttpResponse(html)


def static_file(request, name):
    """The bundle, its stylesheet and Paragon's stylesheets."""
    files = {"course-bundle.js": COURSE_BUNDLE, "course-bundle.css": COURSE_BUNDLE_CSS,
             "core.css": PARAGON_CSS, "light.css": PARAGON_THEME}
    if name not in files or not files[name].exists():
        raise Http404(name)
    return FileResponse(open(files[name], "rb"))


urlpatterns = [
    re_path(r"^learning-mfe/course/(?P<course_id>[^/]+)/(?P<page>progress|course-end)$", learning_page),
    path("learning-mfe/static/<str:name>", static_file),
] + profile_mfe_urlpatterns
