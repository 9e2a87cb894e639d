"""The demo's index page at ``/`` (its pages and logins), and the widgets page (the demo's own, not the plugin's)."""
import json
from gettext import gettext as _
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

# (title, URL, login, what it shows), filled by the demo before it serves.
LINKS = []

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
li {{ margin: .8rem 0; }} code {{ background: #f2f2f2; padding: 0 .3rem; }} .what {{ color: #555; }}
</style></head>
<body><h1>{title}</h1><p>{intro}</p><ul>{links}</ul><p>{logout}</p></body></html>"""


def index(request):
    """List the demo's pages; each learner signs in on the demo's own page."""
    links = format_html_join(
        "", '<li><a href="{}">{}</a> {}<br><span class="what">{}</span></li>',
        ((url, title, format_html("— <code>{}</code>", login) if login else "", what)
         for title, url, login, what in LINKS),
    )
    return HttpResponse(format_html(
        PAGE, title=_("openedx-credly demo"), links=links,
        intro=_("A fake Credly, a standalone host with the plugin, and a learner who earned four badges."),
        logout=_("To switch learners, sign in again from a learner's link: the new sign-in replaces the old."),
    ))


# (course id, name) of the learner's courses, filled by the demo before it serves.
WIDGET_COURSES = []
FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
WIDGET_FILES = {
    "bundle.js": FRONTEND / "browser-test" / "build" / "bundle.js",
    "bundle.css": FRONTEND / "browser-test" / "build" / "bundle.css",
    "course-bundle.js": FRONTEND / "browser-test" / "build" / "course-bundle.js",
    "course-bundle.css": FRONTEND / "browser-test" / "build" / "course-bundle.css",
    "core.css": FRONTEND / "node_modules" / "@openedx" / "paragon" / "dist" / "core.min.css",
    "light.css": FRONTEND / "node_modules" / "@openedx" / "paragon" / "dist" / "light.min.css",
}

WIDGETS_PAGE = """<!DOCTYPE html>
<html lang="{locale}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{static}core.css"><link rel="stylesheet" href="{static}light.css">
<link rel="stylesheet" href="{static}bundle.css"><link rel="stylesheet" href="{static}course-bundle.css">
<style>body {{ background: #f2f0ef; }} main {{ background: #fff; padding: 24px; margin-top: 24px;
margin-bottom: 24px; }} .demo-frame {{ border: 1px dashed #b1aba8; padding: 16px; }}</style></head>
<body><main class="container-xl">
<h1 class="h2">{title}</h1><p>{intro} <a href="/">{back}</a></p>
<h2 class="h3 mt-4">{profile_title}</h2><p class="text-gray-700">{profile_intro}</p>
<div class="row mb-5"><div class="col-md-6"><div class="demo-frame"><div id="slot"></div></div></div></div>
<h2 class="h3">{course_title}</h2><p class="text-gray-700">{course_intro}</p>
<div class="demo-frame"><div id="root"></div></div>
</main>
<script>window.CREDLY_TEST_PAGE = {page_json};</script>
<script src="{static}bundle.js"></script><script src="{static}course-bundle.js"></script>
</body></html>"""

NO_BUNDLE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;">
<h1>{title}</h1><p>{missing}</p><p><a href="/">{back}</a></p></body></html>"""


@login_required
def widgets(request):
    """Badges Earned and Course badges for the signed-in learner, in the real PluginSlot (the browser-test bundles)."""
    title = _("The widgets a learner sees")
    back = _("Back to the demo's pages")
    if not all(path.exists() for path in WIDGET_FILES.values()):
        missing = _("The widgets are not built: their bundle needs Node.js and npm (20 or later). Install them and "
                    "run `make frontend-bundle` (`make demo` builds it when Node.js is there), then reload. "
                    "The rest of the demo works without it.")
        return HttpResponse(format_html(NO_BUNDLE_PAGE, title=title, missing=missing, back=back))
    page = {
        "lmsBaseUrl": f"{request.scheme}://{request.get_host()}",
        # The MFE's SITE_NAME, which the profile widget names in "Everyone on <site>".
        "siteName": getattr(settings, "PLATFORM_NAME", "") or "Open edX",
        "locale": request.GET.get("locale", "en"),
        "user": {"username": request.user.username},
        "courses": [{"id": key, "name": name} for key, name in WIDGET_COURSES],
    }
    return HttpResponse(format_html(
        WIDGETS_PAGE, title=title, back=back, locale=page["locale"], static="/widgets/static/",
        intro=_("The npm package's two widgets, each in the real PluginSlot of frontend-plugin-framework, put "
                "there by the slot config the package ships, reading this site's API as the signed-in learner."),
        profile_title=_("Profile: Badges Earned"),
        profile_intro=_("frontend-app-profile's additional_profile_fields slot, in the half-width column "
                        "the profile gives it."),
        course_title=_("Learning MFE: Course badges"),
        course_intro=_("The Progress tab of each course: beside the certificate status, in the side panel on large "
                       "screens and in the main body below 992 px (make the window narrower to see it move)."),
        page_json=mark_safe(json.dumps(page).replace("<", "\\u003c")),  # nosec: JSON with "<" escaped
    ))


def widget_file(request, name):
    """The widget bundles and Paragon's stylesheets."""
    if name not in WIDGET_FILES or not WIDGET_FILES[name].exists():
        raise Http404(name)
    return FileResponse(open(WIDGET_FILES[name], "rb"))
