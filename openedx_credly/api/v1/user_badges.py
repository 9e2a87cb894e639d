"""
``GET /api/credly/v1/users/<username>/badges/``: the badges shown on a learner's profile.

What a viewer sees follows the platform's profile privacy (the owner's
``account_privacy`` preference, read through the platform adapter):

- the owner sees their pending and accepted badges, with the links to accept them,
  and the learning paths they are on the way to;
- global staff see the owner's pending and accepted badges, whatever the privacy;
- any other signed-in learner sees the owner's *accepted* badges when the profile is
  visible to all users (``all_users``), and nothing otherwise.

Accept links and learning path progress are the owner's alone. A private profile and a
username that does not exist get the same answer, so the API tells no one which
usernames exist.
"""
import dataclasses

from django.contrib.auth import get_user_model
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from edx_rest_framework_extensions.auth.session.authentication import SessionAuthenticationAllowInactiveUser
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from openedx_credly import learning_paths, panel
from openedx_credly.api.v1.badges import MAX_PAGE_SIZE, error_response
from openedx_credly.api.v1.serializers import LearnerBadgeSerializer, PathProgressSerializer
from openedx_credly.models import IssuedBadge
from openedx_credly.platform import ACCOUNT_ALL_USERS, get_platform

OWNER, STAFF, PUBLIC = "owner", "staff", "public"


def audience(viewer, username):
    """
    ``(owner, role)``: whose badges ``viewer`` may see on ``username``'s profile, and as whom.

    ``owner`` is None when the viewer may see nothing there (a private profile, or no such
    active user: the two are told apart for no one but staff).
    """
    if viewer.username == username:
        return viewer, OWNER
    if not viewer.is_active:
        return None, None
    if viewer.is_staff or viewer.is_superuser:
        return get_user_model().objects.filter(username=username).first(), STAFF
    owner = get_user_model().objects.filter(username=username, is_active=True).first()
    if owner is None or get_platform().get_account_privacy(owner) != ACCOUNT_ALL_USERS:
        return None, None
    return owner, PUBLIC


class UserBadgesView(APIView):
    """
    The badges shown on ``username``'s profile to the requesting user (see the module's rules).

    Paged like ``/api/credly/v1/badges/`` (``?page=``, ``?page_size=`` up to 100;
    ``next``/``previous`` link the pages); ``learning_paths_in_progress`` is filled for
    the owner only. Never calls Credly.
    """

    authentication_classes = [JwtAuthentication, SessionAuthenticationAllowInactiveUser]
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(response.data, dict) and "detail" in response.data:
            response.data.setdefault("developer_message", str(response.data["detail"]))
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The answer depends on who asks: no shared cache may keep it.
        patch_cache_control(response, private=True, no_store=True)
        return response

    def get(self, request, username):
        """A page of the badges ``username``'s profile shows to the requesting user."""
        try:
            number = int(request.query_params.get("page", 1))
            size = int(request.query_params.get("page_size", 0)) or None
        except ValueError:
            return error_response(status.HTTP_400_BAD_REQUEST, "page and page_size must be whole numbers.")
        if number < 1 or (size is not None and not 1 <= size <= MAX_PAGE_SIZE):
            return error_response(status.HTTP_400_BAD_REQUEST,
                                  f"page starts at 1; page_size is between 1 and {MAX_PAGE_SIZE}.")
        owner, role = audience(request.user, username)
        if role == STAFF and owner is None:
            return error_response(status.HTTP_404_NOT_FOUND, f"No user named {username!r}.")
        if owner is None:
            return self._answer(request, username, panel.BadgePage(badges=[], count=0, number=number, size=size or 1))
        if role == OWNER:
            panel.schedule_first_view_import(owner)
        states = [IssuedBadge.STATE_ACCEPTED] if role == PUBLIC else None
        page = panel.learner_badges(owner, page=number, page_size=size, states=states)
        if role != OWNER:
            # Accept links are the owner's alone.
            badges = [dataclasses.replace(badge, accept_url="") for badge in page.badges]
            page = dataclasses.replace(page, badges=badges)
        paths = learning_paths.progress_for_user(owner) if role == OWNER else []
        return self._answer(request, owner.username, page, paths)

    def _answer(self, request, username, page, paths=()):
        if page.number > 1 and (page.number - 1) * page.size >= page.count:
            # DRF's own words for a page past the last (its PageNumberPagination's).
            return error_response(status.HTTP_404_NOT_FOUND, "Invalid page.", _("Invalid page."))
        return Response({
            "username": username,
            "count": page.count,
            "next": self._page_url(request, page.number + 1) if page.has_next else None,
            "previous": self._page_url(request, page.number - 1) if page.has_previous else None,
            "results": LearnerBadgeSerializer(page.badges, many=True).data,
            "learning_paths_in_progress": PathProgressSerializer(paths, many=True).data,
        })

    @staticmethod
    def _page_url(request, number):
        return replace_query_param(request.build_absolute_uri(), "page", number)
