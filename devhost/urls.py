"""
URLs of the standalone host: the admin plus every plugin's URLs, as the LMS adds them,
and the stand-in of the LMS's preferences API (the widget saves who sees the badges there).
"""
from django.contrib import admin
from django.urls import path
from edx_django_utils.plugins import get_plugin_url_patterns

from devhost.standin.views import PreferencesView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/user/v1/preferences/<str:username>", PreferencesView.as_view()),
] + get_plugin_url_patterns("lms.djangoapp")
