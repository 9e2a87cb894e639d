"""Routes of the REST API for learner."""

urlpatterns = []
