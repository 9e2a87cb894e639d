"""Routes of the REST API for learners, and the webhook Credly calls to keep their badges in step."""
from django.urls import path

from openedx_credly.api.v1.badges import LearnerBadgesView
from openedx_credly.api.v1.user_badges import UserBadgesView
from openedx_credly.api.v1.webhook import credly_webhook

urlpatterns = [
    path("badges/", LearnerBadgesView.as_view(), name="learner-badges"),
    path("users/<str:username>/badges/", UserBadgesView.as_view(), name="user-badges"),
    path("webhook/", credly_webhook, name="credly-webhook"),
]
