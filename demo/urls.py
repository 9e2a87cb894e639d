"""The host's URLs plus the demo's index page and a sign-in page for learners (the admin's only lets staff in)."""
from django.contrib.auth import views as auth_views
from django.urls import path

from demo import views
from devhost.urls import urlpatterns as host_urlpatterns

urlpatterns = [
    path("", views.index, name="demo-index"),
    path("widgets/", views.widgets, name="demo-widgets"),
    path("widgets/static/<str:name>", views.widget_file, name="demo-widget-file"),
    path("accounts/login/", auth_views.LoginView.as_view(
        template_name="admin/login.html",
        extra_context={"site_header": "openedx-credly demo", "site_title": "openedx-credly demo",
                       "title": "Sign in"},
    ), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="/accounts/login/"), name="logout"),
] + host_urlpatterns
