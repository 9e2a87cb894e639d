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
from rest_framework import status

from openedx_credly import learning_paths, panel
from openedx_credly.api.v1.badges import BadgesAPIView, error_response
from openedx_credly.api.v1.serializers import PathProgressSerializer
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


class UserBadgesView(BadgesAPIView):
    """
    The badges shown on ``username``'s profile to the requesting user (see the module's rules).

    Paged like ``/api/credly/v1/badges/`` (``?page=``, ``?page_size=`` up to 100;
    ``next``/``previous`` link the pages); ``learning_paths_in_progress`` is filled for
    the owner only. Never calls Credly.
    """

    def get(self, request, username):
        """A page of the badges ``username``'s profile shows to the requesting user."""
        number, size = self.page_params(request)
        owner, role = audience(request.user, username)
        if role == STAFF and owner is None:
            return error_response(status.HTTP_404_NOT_FOUND, f"No user named {username!r}.")
        if owner is None:
            return self.page_response(request, username, panel.BadgePage(badges=[], count=0, number=number,
                                                                         size=size or 1),
                                      learning_paths_in_progress=[])
        if role == OWNER:
            panel.schedule_first_view_import(owner)
        states = [IssuedBadge.STATE_ACCEPTED] if role == PUBLIC else None
        page = panel.learner_badges(owner, page=number, page_size=size, states=states)
        if role != OWNER:
            # Accept links are the owner's alone.
            badges = [dataclasses.replace(badge, accept_url="") for badge in page.badges]
            page = dataclasses.replace(page, badges=badges)
        paths = learning_paths.progress_for_user(owner) if role == OWNER else []
        return self.page_response(request, owner.username, page,
                                  learning_paths_in_progress=PathProgressSerializer(paths, many=True).data)
