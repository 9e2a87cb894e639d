"""
REST API of learning paths: ``/api/credly/v1/learning-paths/``.

Global staff list, create, read, update and delete paths. Course staff may read the
paths their course belongs to: ``GET learning-paths/?course_id=...`` and the detail of
any of those paths. Errors answer with a ``developer_message``, like the course staff API.
"""
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from openedx_credly.api.v1.course_staff import BadRequest, CourseStaffAPIView, parse_course_key
from openedx_credly.api.v1.learning_path_serializers import LearningPathSerializer
from openedx_credly.api.v1.permissions import is_global_staff
from openedx_credly.awarding import learning_paths
from openedx_credly.models import LearningPath
from openedx_credly.platform import get_platform


def _paths():
    return LearningPath.objects.select_related("template").prefetch_related("courses").order_by("name", "id")


def _describe_errors(errors, prefix=""):
    """Serializer errors, nested ones included (``courses.1.course_id: ...``), as one text."""
    if isinstance(errors, dict):
        parts = (_describe_errors(value, prefix if name == "non_field_errors" else f"{prefix}{name}.")
                 for name, value in errors.items())
    elif isinstance(errors, list) and not all(isinstance(item, str) for item in errors):
        parts = (_describe_errors(item, f"{prefix}{index}.") for index, item in enumerate(errors))
    else:
        text = " ".join(errors) if isinstance(errors, list) else str(errors)
        return f"{prefix.rstrip('.')}: {text}" if prefix else text
    return " ".join(part for part in parts if part)


def _forbidden():
    return PermissionDenied(_("Only global staff may manage learning paths; course staff may read the paths of "
                              "their course with ?course_id=."))


def _require_global_staff(user):
    if not is_global_staff(user):
        raise _forbidden()


def _save(serializer, path=None, user=None):
    """Validate ``serializer`` and write the path and its courses (a new one when ``path`` is None)."""
    if not serializer.is_valid():
        raise BadRequest(_describe_errors(serializer.errors), code="invalid_request", field_errors=serializer.errors)
    data = serializer.validated_data
    courses = data.pop("courses")
    with transaction.atomic():
        if path is None:
            path = LearningPath(created_by=user)
        for field, value in data.items():
            setattr(path, field, value)
        path.save()
        if courses is not None:
            learning_paths.set_courses(path, courses)
    return _paths().get(pk=path.pk)


class LearningPathsView(CourseStaffAPIView):
    """
    Learning paths: one Credly badge for completing several courses.

    GET lists every path (global staff), or with course_id in the address the paths of
    that course (its staff too). POST a JSON path to create one (global staff).
    """

    permission_classes = [IsAuthenticated]

    def get(self, request):
        """Every path (global staff), or the paths of course_id (that course's staff)."""
        course_id = request.query_params.get("course_id")
        paths = _paths()
        if course_id is None:
            _require_global_staff(request.user)
        else:
            # An unencoded "+" arrives as a space; course ids never hold spaces.
            course_key = parse_course_key(course_id.strip().replace(" ", "+"))
            if not (is_global_staff(request.user) or get_platform().is_course_staff(request.user, course_key)):
                raise _forbidden()
            paths = paths.filter(courses__course_id=course_key).distinct()
        return Response(LearningPathSerializer(paths, many=True).data)

    def post(self, request):
        _require_global_staff(request.user)
        path = _save(LearningPathSerializer(data=request.data), user=request.user)
        return Response(LearningPathSerializer(path).data, status=status.HTTP_201_CREATED)


class LearningPathView(CourseStaffAPIView):
    """
    One learning path.

    GET reads it (global staff, and the staff of one of its courses). Global staff may
    replace it with PUT, change the fields given with PATCH, and DELETE it.
    """

    permission_classes = [IsAuthenticated]

    def _path(self, pk):
        path = _paths().filter(pk=pk).first()
        if path is None:
            raise NotFound(_("No learning path has the ID %(id)s.") % {"id": pk})
        return path

    def get(self, request, pk):
        """One path, to global staff and to the staff of one of its courses."""
        path = self._path(pk)
        if not is_global_staff(request.user):
            # Course staff read the paths of their courses. Anyone else hears what a caller
            # hears of an id that does not exist, so the answer tells nothing of which ids do.
            if not any(get_platform().is_course_staff(request.user, row.course_id) for row in path.courses.all()):
                raise NotFound(_("No learning path has the ID %(id)s.") % {"id": pk})
        return Response(LearningPathSerializer(path).data)

    def put(self, request, pk):
        return self._update(request, pk, partial=False)

    def patch(self, request, pk):
        return self._update(request, pk, partial=True)

    def _update(self, request, pk, partial):
        _require_global_staff(request.user)
        path = self._path(pk)
        path = _save(LearningPathSerializer(path, data=request.data, partial=partial), path=path)
        return Response(LearningPathSerializer(path).data)

    def delete(self, request, pk):
        _require_global_staff(request.user)
        self._path(pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
