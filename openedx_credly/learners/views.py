"""
``GET /credly/profile/badges/``: the learner's "Badges Earned", a small page framed in
the profile micro-frontend (an ``IFRAME_PLUGIN`` of frontend-plugin-framework).

Only the origins in ``CREDLY_PROFILE_FRAME_ANCESTORS`` may frame it (``frame-ancestors``)
or receive its messages. A visitor who is not logged in gets a one-line empty state
rather than a login redirect, which would only show a login form inside the frame; the
page always posts ``PLUGIN_READY``, or the host would show its spinner forever.
"""
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from openedx_credly.awarding import learning_paths
from openedx_credly.learners import panel

TEMPLATE = "openedx_credly/profile_badges.html"
_HOST = re.compile(r"^[a-z0-9.-]+(:\d{1,5})?$")


def frame_origins():
    """The configured origins allowed to frame the panel, normalized; malformed entries are dropped."""
    configured = getattr(settings, "CREDLY_PROFILE_FRAME_ANCESTORS", None) or []
    if isinstance(configured, str):
        configured = configured.replace(",", " ").split()
    origins = []
    for entry in configured:
        parts = urlsplit(str(entry).strip().lower())
        if parts.scheme in ("http", "https") and _HOST.match(parts.netloc):
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins


def _learner_shown(request):
    """Whose badges the page shows: the viewer's own, or (for global staff) ``?username=``'s."""
    viewer = request.user
    if not viewer.is_authenticated:
        return None
    username = request.GET.get("username")
    if not username or username == viewer.username:
        panel.schedule_first_view_import(viewer)
        return viewer
    if viewer.is_staff or viewer.is_superuser:
        return get_user_model().objects.filter(username=username).first()
    # Someone else's profile: show nothing rather than the viewer's own badges.
    return None


def parent_origin(request, origins):
    """
    The profile's origin, to which the page speaks: ``?parent=`` (carried from page to
    page), else the ``Referer`` of the first load; only ever one of ``origins``.
    """
    for candidate in (request.GET.get("parent", ""), request.headers.get("Referer", "")):
        try:
            parts = urlsplit(candidate.strip().lower())
        except ValueError:
            continue
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in origins:
            return origin
    return ""


@require_GET
def profile_badges(request):
    """Render the learner's badges for the profile page's plugin slot."""
    learner = _learner_shown(request)
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:  # not a number, or more digits than Python converts
        number = 1
    page = panel.learner_badges(learner, page=number, clamp=True) if learner else None
    if page and learner != request.user:
        page = panel.without_accept_links(page)
    badges = page.badges if page else []
    paths_in_progress = learning_paths.progress_for_user(learner) if badges else []
    origins = frame_origins()
    own_origin = f"{request.scheme}://{request.get_host()}".lower()
    response = render(request, TEMPLATE, {
        "badges": badges,
        "page": page,
        "username": request.GET.get("username", ""),
        "paths_in_progress": paths_in_progress,
        "message_origins": [own_origin] + [origin for origin in origins if origin != own_origin],
        "parent_origin": parent_origin(request, [origin for origin in origins if origin != own_origin]),
        "is_owner": learner is not None and learner == request.user,
    })
    response["Content-Security-Policy"] = " ".join(["frame-ancestors", "'self'", *origins])
    if origins:
        # frame-ancestors says who may frame; X-Frame-Options cannot name another origin.
        response.xframe_options_exempt = True
    else:
        response["X-Frame-Options"] = "SAMEORIGIN"
    patch_cache_control(response, private=True, no_store=True)
    return response
