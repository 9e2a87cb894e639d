"""Routes of the REST API for learning paths."""

urlpatterns = []
