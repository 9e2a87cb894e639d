"""``GET /api/credly/v1/badges/``: the requesting learner's Credly badges."""
from django.contrib.auth import get_user_model
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from edx_rest_framework_extensions.auth.session.authentication import SessionAuthenticationAllowInactiveUser
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from openedx_credly.api.parsers import BoundedBodyMixin, JSONParser
from openedx_credly.api.v1.serializers import LearnerBadgeSerializer
from openedx_credly.learners import panel

MAX_PAGE_SIZE = 100


def error_response(status_code, developer_message, user_message=None):
    """A JSON error in the LMS's shape."""
    return Response(
        {"developer_message": developer_message, "detail": user_message or developer_message},
        status=status_code,
    )


class BadgesAPIView(BoundedBodyMixin, APIView):
    """
    What the badge APIs share: the LMS's authentication, JSON errors with a
    developer_message, private answers, and paging (page, page_size up to 100).
    """

    authentication_classes = [JwtAuthentication, SessionAuthenticationAllowInactiveUser]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(response.data, dict) and "detail" in response.data:
            response.data.setdefault("developer_message", str(response.data["detail"]))
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        """Every answer, errors included, is private: no shared or on-disk cache keeps a learner's badges."""
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def learner_asked_for(request, may_read_others, developer_message):
        """
        Whose badges the request asks for: the requester's, or those of ``?username=`` (or
        ``?user_id=``, as the learning MFE's staff view of a learner's progress names her) if
        ``may_read_others()``.

        ``(learner, None)``, or ``(None, response)``: a 403 saying ``developer_message`` for a
        requester who may not read others, a 404 for a learner who does not exist.
        """
        requester = request.user
        username = request.query_params.get("username")
        user_id = request.query_params.get("user_id")
        if username:
            wanted = {"username": username}
        elif user_id:
            if not user_id.isdigit():
                raise ParseError("user_id must be a whole number.")
            wanted = {"pk": int(user_id)}
        else:
            return requester, None
        if all(getattr(requester, field) == value for field, value in wanted.items()):
            return requester, None
        if not may_read_others():
            return None, error_response(status.HTTP_403_FORBIDDEN, developer_message,
                                        _("You may only see your own badges."))
        learner = get_user_model().objects.filter(**wanted).first()
        if learner is None:
            missing = f"No user named {username!r}." if username else f"No user with id {user_id}."
            return None, error_response(status.HTTP_404_NOT_FOUND, missing)
        return learner, None

    @staticmethod
    def page_params(request):
        """``(page, page_size or None)`` from the query string; a 400 for anything else."""
        try:
            number = int(request.query_params.get("page", 1))
            size = int(request.query_params.get("page_size", 0)) or None
        except ValueError as error:
            raise ParseError("page and page_size must be whole numbers.") from error
        if number < 1 or (size is not None and not 1 <= size <= MAX_PAGE_SIZE):
            raise ParseError(f"page starts at 1; page_size is between 1 and {MAX_PAGE_SIZE}.")
        return number, size

    def page_response(self, request, username, page, **extra):
        """The JSON answer for one ``panel.BadgePage`` of ``username``'s badges (404 past the last page)."""
        if page.past_the_end and page.number > 1:
            # DRF's own words for a page past the last (its PageNumberPagination's).
            return error_response(status.HTTP_404_NOT_FOUND, "Invalid page.", _("Invalid page."))
        return Response({
            "username": username,
            "count": page.count,
            "next": self._page_url(request, page.number + 1) if page.has_next else None,
            "previous": self._page_url(request, page.number - 1) if page.has_previous else None,
            "results": LearnerBadgeSerializer(page.badges, many=True).data,
            **extra,
        })

    @staticmethod
    def _page_url(request, number):
        return replace_query_param(request.build_absolute_uri(), "page", number)


class LearnerBadgesView(BadgesAPIView):
    """
    Your pending and accepted Credly badges, newest first (revoked and rejected ones are not listed).

    Global staff may add username to the address to read another learner's badges,
    without the links to accept them: those are the learner's alone.

    Pages of up to 100 badges: add page and page_size to the address; next and previous
    link the neighbouring pages. The answer comes from this site's own records of the
    badges, never from a live call to Credly.
    """

    def get(self, request):
        """A page of the requester's badges (or, for global staff, ``?username=``'s)."""
        requester = request.user
        learner, refused = self.learner_asked_for(
            request, lambda: requester.is_staff or requester.is_superuser,
            "Only global staff may read another user's badges.",
        )
        if refused:
            return refused
        if learner == requester:
            panel.schedule_first_view_import(requester)
        number, size = self.page_params(request)
        page = panel.learner_badges(learner, page=number, page_size=size)
        if learner != requester:
            page = panel.without_accept_links(page)
        return self.page_response(request, learner.username, page)
