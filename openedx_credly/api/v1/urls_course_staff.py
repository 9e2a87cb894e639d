"""
Routes of the REST API for course staff.

Course ids hold ``:`` and ``+`` (``course-v1:Org+Course+Run``), and old ones ``/``
(``Org/Course/Run``): the pattern takes anything up to ``/badge-templates/`` and the
view parses it with opaque-keys (a 400 when it is not a course id).
"""
from django.urls import path, re_path

from openedx_credly.api.v1 import course_staff

urlpatterns = [
    path("templates/", course_staff.TemplatesView.as_view(), name="course_staff_templates"),
    re_path(
        r"^courses/(?P<course_id>.+?)/badge-templates/$",
        course_staff.CourseBadgeTemplatesView.as_view(),
        name="course_badge_templates",
    ),
    re_path(
        r"^courses/(?P<course_id>.+?)/badge-templates/(?P<template_id>[^/]+)/$",
        course_staff.CourseBadgeTemplateView.as_view(),
        name="course_badge_template",
    ),
]
