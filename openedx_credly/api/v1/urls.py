"""Routes of the REST API, version 1 (``/api/credly/v1/``), one module per audience."""
from openedx_credly.api.v1 import urls_course_staff, urls_learner, urls_learning_paths

app_name = "api_v1"

urlpatterns = urls_learner.urlpatterns + urls_course_staff.urlpatterns + urls_learning_paths.urlpatterns
