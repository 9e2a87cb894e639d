"""Routes of the REST API for learners, and the webhook Credly calls to keep their badges in step."""
from django.urls import path, re_path

from openedx_credly.api.v1.badges import LearnerBadgesView
from openedx_credly.api.v1.course_badges import CourseBadgesView
from openedx_credly.api.v1.user_badges import UserBadgesView
from openedx_credly.api.v1.webhook import credly_webhook

urlpatterns = [
    path("badges/", LearnerBadgesView.as_view(), name="learner-badges"),
    path("users/<str:username>/badges/", UserBadgesView.as_view(), name="user-badges"),
    # Course ids hold ":" and "+" (and old ones "/"): the view parses them with opaque-keys.
    re_path(r"^courses/(?P<course_id>.+?)/badges/$", CourseBadgesView.as_view(), name="course-badges"),
    path("webhook/", credly_webhook, name="credly-webhook"),
]
