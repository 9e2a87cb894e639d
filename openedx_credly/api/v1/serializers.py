"""Serializers of the learner-facing REST API."""
from rest_framework import serializers


class LearnerBadgeSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """One badge of ``panel.learner_badges`` (a read-only ``LearnerBadge``)."""

    id = serializers.CharField(help_text="The badge's id on Credly.")
    name = serializers.CharField()
    description = serializers.CharField()
    image_url = serializers.CharField()
    state = serializers.CharField(help_text='"pending" or "accepted".')
    earned_at = serializers.DateTimeField()
    course_id = serializers.CharField(help_text="Empty when no single course earned the badge.")
    course_name = serializers.CharField()
    learning_path_name = serializers.CharField(help_text="The learning path that earned the badge, if one did.")
    milestone_name = serializers.CharField(help_text="The site-wide milestone that earned the badge, if one did.")
    accept_url = serializers.CharField(help_text="Where to accept the badge on Credly; empty once accepted.")
    badge_url = serializers.CharField()
    template_id = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the badge expires; null if it does not.")
    is_expired = serializers.BooleanField(help_text="Whether expires_at has passed (the badge is still listed).")


class PathProgressSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """A learning path the learner has started but not earned (``learning_paths.progress_for_user``)."""

    name = serializers.CharField()
    template_name = serializers.CharField(help_text="The badge the path earns.")
    done = serializers.IntegerField(help_text="Courses of the path the learner has completed.")
    required = serializers.IntegerField(help_text="Courses needed to earn the badge.")


class AwardRuleSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """How a course's badge is earned (``course_badges.AwardRule``); the widget words it."""

    kind = serializers.CharField(help_text='"course" (a course badge) or "learning_path".')
    trigger = serializers.CharField(help_text='Course badges: "passing", "certificate" or "grade".')
    min_grade = serializers.FloatField(allow_null=True, help_text="Lowest course grade that earns it, in percent.")
    max_grade = serializers.FloatField(allow_null=True, help_text="Grade (percent) from which it is no longer earned.")
    modes = serializers.ListField(child=serializers.CharField(), help_text="Certificate modes that earn it; [] any.")
    expires_in_months = serializers.IntegerField(allow_null=True, help_text="Valid this long after it is earned.")
    learning_path_name = serializers.CharField()
    courses_in_path = serializers.IntegerField(allow_null=True)
    courses_required = serializers.IntegerField(allow_null=True, help_text="Courses of the path that earn it.")


class CourseBadgeSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """One badge a course awards, with the learner's status (``course_badges.CourseBadge``)."""

    template_id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    image_url = serializers.CharField()
    rule = AwardRuleSerializer()
    status = serializers.CharField(help_text='"not_yet", "issuing", "pending", "accepted" or "expired".')
    current_grade = serializers.FloatField(
        allow_null=True, help_text="The learner's course grade (percent), for a grade rule not yet met.")
    courses_done = serializers.IntegerField(
        allow_null=True, help_text="Courses of the path the learner completed, for a path badge not yet earned.")
    earned_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    accept_url = serializers.CharField(help_text="Where to accept a pending badge; only for the learner herself.")
    badge_url = serializers.CharField()
