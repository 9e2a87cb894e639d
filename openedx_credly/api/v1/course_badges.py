"""
``GET /api/credly/v1/courses/<course_id>/badges/``: what a course awards, and where the learner stands.

For the learning MFE's "Course badges" widget (Progress tab, course exit page). The
signed-in learner gets her own status, with the link to accept a pending badge. Course
staff of the course (its staff and instructor roles, read through the platform adapter)
and global staff may pass ``?username=`` (or ``?user_id=``, what the learning MFE's
``/course/:courseId/progress/:targetUserId`` staff view knows) to see a learner's view,
without the accept link; anyone else asking for another learner gets a 403. A course that awards nothing
answers an empty list. Never calls Credly.
"""
from rest_framework.response import Response

from openedx_credly.api.v1.badges import BadgesAPIView
from openedx_credly.api.v1.course_staff import parse_course_key
from openedx_credly.api.v1.permissions import is_global_staff
from openedx_credly.api.v1.serializers import CourseBadgeSerializer
from openedx_credly.learners import course_badges
from openedx_credly.platform import get_platform


class CourseBadgesView(BadgesAPIView):
    """The badges a course awards, each with the learner's status (see the module's rules)."""

    def get(self, request, course_id):
        """The requester's view of the course's badges (or, for its staff, ``?username=``'s)."""
        course_key = parse_course_key(course_id)
        requester = request.user
        learner, refused = self.learner_asked_for(
            request, lambda: is_global_staff(requester) or get_platform().is_course_staff(requester, course_key),
            "Only the course's staff and global staff may read another learner's course badges.",
        )
        if refused:
            return refused
        badges = course_badges.badges_for_course(learner, course_key, show_accept_links=learner == requester)
        return Response({
            "course_id": str(course_key),
            "username": learner.username,
            "results": CourseBadgeSerializer(badges, many=True).data,
        })
