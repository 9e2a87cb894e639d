"""
``GET /api/credly/v1/users/<username>/badges/``: the badges shown on a learner's profile.

What a viewer sees follows the platform's profile privacy (the owner's
``account_privacy`` preference, read through the platform adapter):

- the owner sees their pending and accepted badges, with the links to accept them,
  the learning paths they are on the way to, and who else may see the badges;
- global staff see the owner's pending and accepted badges, whatever the privacy;
- any other signed-in learner sees the owner's *accepted* badges when the badges are
  visible to all users: the profile is ``all_users``, or ``custom`` (what the profile
  micro-frontend sets on the owner's first visit) with the owner's
  ``visibility.credly_badges`` preference ``all_users`` or unset; nothing otherwise.

Accept links and learning path progress are the owner's alone. A private profile and a
username that does not exist get the same answer, so the API tells no one which
usernames exist.
"""
from django.contrib.auth import get_user_model
from rest_framework import status

from openedx_credly.api.v1.badges import BadgesAPIView, error_response
from openedx_credly.api.v1.serializers import PathProgressSerializer
from openedx_credly.awarding import learning_paths
from openedx_credly.learners import panel
from openedx_credly.models import IssuedBadge
from openedx_credly.platform import (
    ACCOUNT_ALL_USERS,
    ACCOUNT_CUSTOM,
    ACCOUNT_PRIVATE,
    BADGES_VISIBILITY_PREFERENCE,
    get_platform,
)

OWNER, STAFF, PUBLIC = "owner", "staff", "public"


def badges_visibility(owner, account_privacy=None):
    """
    Who may see ``owner``'s accepted badges: ``"all_users"`` or ``"private"``.

    The profile's ``account_privacy`` decides, except under ``custom``, where the owner's
    ``visibility.credly_badges`` preference does: unset means ``all_users``, as the
    profile micro-frontend sets its own fields when it turns a public profile ``custom``.
    """
    platform = get_platform()
    privacy = account_privacy or platform.get_account_privacy(owner)
    if privacy == ACCOUNT_CUSTOM:
        chosen = platform.get_user_preference(owner, BADGES_VISIBILITY_PREFERENCE)
        return ACCOUNT_ALL_USERS if chosen in (None, "", ACCOUNT_ALL_USERS) else ACCOUNT_PRIVATE
    return ACCOUNT_ALL_USERS if privacy == ACCOUNT_ALL_USERS else ACCOUNT_PRIVATE


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
    if owner is None or badges_visibility(owner) != ACCOUNT_ALL_USERS:
        return None, None
    return owner, PUBLIC


class UserBadgesView(BadgesAPIView):
    """
    The badges a learner's profile shows to you.

    You see your own pending and accepted badges, with their links to accept them on
    Credly. Other learners see your accepted badges only when your profile shows them to
    everyone; global staff see every learner's pending and accepted badges.

    Pages of up to 100 badges: add page and page_size to the address; next and previous
    link the neighbouring pages. Your own answer also lists the learning paths you have
    started (learning_paths_in_progress) and, in visibility, who may see your badges
    (account_privacy is your profile's setting; badges is all_users or private).
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
            page = panel.without_accept_links(page)
        if role != OWNER:
            return self.page_response(request, owner.username, page, learning_paths_in_progress=[])
        privacy = get_platform().get_account_privacy(owner)
        paths = learning_paths.progress_for_user(owner)
        return self.page_response(
            request, owner.username, page, learning_paths_in_progress=PathProgressSerializer(paths, many=True).data,
            visibility={"account_privacy": privacy, "badges": badges_visibility(owner, privacy)},
        )
