"""URLs of openedx-credly, mounted at the site root by the plugin mechanism."""
from django.urls import include, path

from openedx_credly.learners.views import profile_badges

app_name = "openedx_credly"

urlpatterns = [
    path("api/credly/v1/", include("openedx_credly.api.v1.urls")),
    path("credly/profile/badges/", profile_badges, name="profile-badges"),
]
