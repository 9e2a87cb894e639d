"""
The durable record of openedx-credly: one Django app, its tables split by concern.

* ``organizations``: the Credly organizations operators connect and their templates;
* ``awards``: what earns a badge (course mappings, learning paths, milestones);
* ``badges``: the badges learners earned and each attempt to hold one on Credly;
* ``activity``: the error log, Credly's webhook events, the periodic tasks' heartbeats;
* ``rules``: the award rules' vocabulary and checks, which the mapping's validation uses.

Every model is importable from here (``from openedx_credly.models import IssuedBadge``);
the tables and migrations are those of the single ``openedx_credly`` app. This package
imports only ``crypto`` and ``platform``-free leaves: everything else builds on it.
"""
from openedx_credly.models.activity import CredlyErrorLog, TaskHeartbeat, WebhookEvent
from openedx_credly.models.awards import (
    CourseBadgeTemplate,
    CourseCompletionRecord,
    CourseEnrollmentRecord,
    LearningPath,
    LearningPathCourse,
    LearningPathProgress,
    Milestone,
)
from openedx_credly.models.badges import BadgeIssuance, HeldCredlyBadge, IssuedBadge
from openedx_credly.models.organizations import BadgeTemplate, CredlyOrganization

__all__ = [
    "BadgeIssuance", "BadgeTemplate", "CourseBadgeTemplate", "CourseCompletionRecord", "CourseEnrollmentRecord",
    "CredlyErrorLog", "CredlyOrganization", "HeldCredlyBadge", "IssuedBadge", "LearningPath", "LearningPathCourse",
    "LearningPathProgress", "Milestone", "TaskHeartbeat", "WebhookEvent",
]
