"""Routes of the REST API, version 1 (``/api/credly/v1/``)."""
app_name = "api_v1"

urlpatterns = []
