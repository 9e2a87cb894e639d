"""
REST API for course staff: choose the Credly badge template(s) a course awards.

Served by the LMS and by Studio (the plugin registers its URLs for both). Every change
goes through ``course_settings``, like the admin and the Advanced Settings mirror, and is
written to the admin history under the caller's name.
"""
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from edx_rest_framework_extensions.auth.session.authentication import SessionAuthenticationAllowInactiveUser
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from openedx_credly.api.parsers import BoundedBodyMixin, JSONParser
from openedx_credly.api.v1.course_staff_serializers import (
    CourseBadgeTemplateRequestSerializer,
    CourseBadgeTemplateSerializer,
    TemplateSerializer,
)
from openedx_credly.api.v1.permissions import IsCourseStaff, IsStaffOfAnyCourse
from openedx_credly.course_staff import course_settings
from openedx_credly.models import CourseBadgeTemplate

# A mapping is a few short fields; anything bigger is a mistake or abuse.
MAX_BODY_BYTES = 4096


class BadRequest(APIException):
    """A 400 whose ``developer_message`` says what to fix."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message, code="bad_request", **extra):
        super().__init__(detail=message, code=code)
        self.extra = extra


def _error_body(message, code, **extra):
    return {"developer_message": str(message), "detail": str(message), "error_code": code, **extra}


class CourseStaffAPIView(BoundedBodyMixin, APIView):
    """JWT or session authentication, JSON bodies only; every error answers with a ``developer_message``."""

    authentication_classes = [JwtAuthentication, SessionAuthenticationAllowInactiveUser]
    parser_classes = [JSONParser]

    def handle_exception(self, exc):
        if isinstance(exc, BadRequest):
            return Response(_error_body(exc.detail, exc.get_codes(), **exc.extra), status=exc.status_code)
        response = super().handle_exception(exc)
        if isinstance(response.data, dict) and "detail" in response.data:
            detail = response.data["detail"]
            code = getattr(detail, "code", None) or "error"
            response.data = _error_body(detail, code)
        return response


class CourseScopedAPIView(CourseStaffAPIView):
    """A view on one course: ``course_id`` in the URL, parsed with opaque-keys."""

    permission_classes = [IsCourseStaff]
    course_key = None

    def check_permissions(self, request):
        # Authentication first (anonymous is a 401 whatever the URL), then the course id.
        if request.user and request.user.is_authenticated:
            self.course_key = parse_course_key(self.kwargs["course_id"])
        super().check_permissions(request)


def parse_course_key(course_id):
    try:
        return CourseKey.from_string(course_id)
    except InvalidKeyError as error:
        raise BadRequest(
            _('"%(course_id)s" is not a course id; course ids look like course-v1:Org+Course+Run.')
            % {"course_id": course_id},
            code="invalid_course_id",
        ) from error


class TemplatesView(CourseStaffAPIView):
    """
    The Credly badge templates a course may award.

    Active templates of active organizations. Global staff and anyone with the staff or
    instructor role of at least one course may list them.
    """

    permission_classes = [IsStaffOfAnyCourse]

    def get(self, request):
        templates = course_settings.usable_templates().order_by("organization__name", "name", "template_id")
        return Response(TemplateSerializer(templates, many=True).data)


# Under ATOMIC_REQUESTS (the LMS sets it) the write manages its own transactions, so that
# a POST that lost an insert race can start afresh (see course_settings.set_mapping).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class CourseBadgeTemplatesView(CourseScopedAPIView):
    """
    The Credly badge templates this course awards.

    GET lists them. POST a JSON object to add one (201), or to change the course's badge
    of that template (200): template_id, trigger, revoke_on_certificate_revoked,
    is_active, min_grade, max_grade, modes and expires_in_months; a field left out takes
    its default, which sets no rule. Bodies are JSON of at most 4 KB.
    """

    max_body_bytes = MAX_BODY_BYTES

    def get(self, request, **kwargs):
        mappings = CourseBadgeTemplate.objects.filter(course_id=self.course_key).select_related(
            "template").order_by("created", "id")
        return Response(CourseBadgeTemplateSerializer(mappings, many=True).data)

    def post(self, request, **kwargs):
        """Add a badge template to the course (template_id, trigger and the award rules)."""
        serializer = CourseBadgeTemplateRequestSerializer(data=request.data)
        if not serializer.is_valid():
            raise BadRequest(_describe_errors(serializer.errors), code="invalid_request",
                             field_errors=serializer.errors)
        data = serializer.validated_data
        try:
            change = course_settings.set_mapping(
                self.course_key, data["template_id"], trigger=data["trigger"],
                revoke_on_certificate_revoked=data["revoke_on_certificate_revoked"], is_active=data["is_active"],
                source=CourseBadgeTemplate.SOURCE_API, user=request.user,
                rules={name: data[name] for name in course_settings.RULE_FIELDS},
            )
        except course_settings.CourseSettingError as error:
            raise BadRequest(error.message, code=error.code) from error
        return Response(
            CourseBadgeTemplateSerializer(change.mapping).data,
            status=status.HTTP_201_CREATED if change.created else status.HTTP_200_OK,
        )


class CourseBadgeTemplateView(CourseScopedAPIView):
    """One badge template of this course: GET reads it, DELETE stops the course awarding it (404 if it does not)."""

    def _mapping(self, template_id):
        """The course's mapping of ``template_id``, or a 404 in the API's words."""
        mapping = CourseBadgeTemplate.objects.filter(
            course_id=self.course_key, template__template_id=template_id,
        ).select_related("template").first()
        if mapping is None:
            raise _not_found(self.course_key, template_id)
        return mapping

    def get(self, request, template_id, **kwargs):
        return Response(CourseBadgeTemplateSerializer(self._mapping(template_id)).data)

    def delete(self, request, template_id, **kwargs):
        course_settings.remove_mapping(self._mapping(template_id), source=CourseBadgeTemplate.SOURCE_API,
                                       user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _not_found(course_key, template_id):
    """The 404 for a template the course does not award."""
    error = APIException(
        _('The course %(course)s does not award the badge template "%(id)s".') % {
            "course": course_key, "id": template_id},
        code="not_found",
    )
    error.status_code = status.HTTP_404_NOT_FOUND
    return error


def _describe_errors(errors):
    """One sentence of every validation error, for ``developer_message``."""
    parts = []
    for name, messages in errors.items():
        if isinstance(messages, dict):  # a list field's errors, by item index
            messages = [message for item in messages.values() for message in item]
        text = " ".join(str(message) for message in messages) if isinstance(messages, list) else str(messages)
        parts.append(text if name == "non_field_errors" else f"{name}: {text}")
    return " ".join(parts)
