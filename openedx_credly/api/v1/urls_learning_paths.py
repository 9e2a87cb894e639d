"""Routes of the REST API for learning paths (global staff; course staff read their courses' paths)."""
from django.urls import path

from openedx_credly.api.v1 import learning_paths

urlpatterns = [
    path("learning-paths/", learning_paths.LearningPathsView.as_view(), name="learning_paths"),
    path("learning-paths/<int:pk>/", learning_paths.LearningPathView.as_view(), name="learning_path"),
]
