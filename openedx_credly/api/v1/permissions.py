"""
Who may use the course staff API.

Course staff are the staff and instructor roles of a course, as the platform keeps them
(course access roles in the LMS and Studio); global staff may act on every course. The
role check goes through the platform adapter, never through edx-platform directly.
"""
from rest_framework.permissions import BasePermission

from openedx_credly.platform import get_platform


def is_global_staff(user):
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class IsCourseStaff(BasePermission):
    """
    Global staff, or staff/instructor of the course named in the URL.

    The view parses the course id (``view.course_key``) before permissions are checked;
    a malformed id never reaches here (it is a 400).
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if is_global_staff(user):
            return True
        return bool(get_platform().is_course_staff(user, view.course_key))


class IsStaffOfAnyCourse(BasePermission):
    """
    Global staff, or staff/instructor of at least one course.

    This is who may list the badge templates: the list is what a course's staff choose
    from, and it holds nothing personal, but it is not for every learner to browse.
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return is_global_staff(user) or bool(get_platform().is_staff_of_any_course(user))
