"""The host's Celery app, configured from Django settings as the LMS does."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devhost.settings")

app = Celery("devhost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
