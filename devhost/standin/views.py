"""
Stand-ins for the LMS APIs the widget calls besides the plugin's own.

``/api/user/v1/preferences/<username>`` answers like edx-platform's user_api
``PreferencesView``: the user (or global staff) reads their preferences with ``GET``
and changes them with a ``PATCH`` of ``application/merge-patch+json`` (a ``null``
value deletes the preference), with session authentication and its CSRF check.
"""
from django.contrib.auth import get_user_model
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from devhost.standin.models import Preference


class MergePatchParser(JSONParser):
    """JSON sent as ``application/merge-patch+json``, as the platform's ``MergePatchParser`` reads it."""

    media_type = "application/merge-patch+json"


class PreferencesView(APIView):
    """A user's preferences: ``GET`` them all, ``PATCH`` some (merge-patch)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [MergePatchParser]

    def _user(self, request, username):
        if request.user.username != username and not request.user.is_staff:
            return None
        return get_user_model().objects.filter(username=username).first()

    def get(self, request, username):
        """Every preference of the user, as ``{key: value}``."""
        user = self._user(request, username)
        if user is None:
            return Response(status=status.HTTP_404_NOT_FOUND)
        return Response(dict(Preference.objects.filter(user=user).values_list("key", "value")))

    def patch(self, request, username):
        """Set the preferences given (``null`` deletes one); 204."""
        user = self._user(request, username)
        if user is None:
            return Response(status=status.HTTP_403_FORBIDDEN)
        if not isinstance(request.data, dict) or not all(
                isinstance(value, str) or value is None for value in request.data.values()):
            return Response({"developer_message": "Preferences are strings (null deletes one)."},
                            status=status.HTTP_400_BAD_REQUEST)
        for key, value in request.data.items():
            if value is None:
                Preference.objects.filter(user=user, key=key).delete()
            else:
                Preference.objects.update_or_create(user=user, key=key, defaults={"value": value})
        return Response(status=status.HTTP_204_NO_CONTENT)
