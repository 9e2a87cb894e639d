"""Routes of the REST API for course staff."""

urlpatterns = []
