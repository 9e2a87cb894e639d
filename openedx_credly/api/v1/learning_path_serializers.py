"""What the learning-paths API reads and writes."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from openedx_credly.api.v1.course_staff_serializers import StrictBooleanField, StrictCharField
from openedx_credly.awarding import learning_paths
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, LearningPath

TRIGGER_ERROR = _('"{input}" is not a trigger: use "passing" or "certificate".')


class LearningPathCourseSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """One course of a path: ``{"course_id", "trigger"}``."""

    course_id = StrictCharField(max_length=255)
    trigger = serializers.ChoiceField(
        choices=CourseBadgeTemplate.COMPLETION_TRIGGER_CHOICES, required=False,
        default=CourseBadgeTemplate.TRIGGER_CERTIFICATE,
        error_messages={"invalid_choice": TRIGGER_ERROR},
    )

    def validate_course_id(self, value):
        return learning_paths.parse_course_key(value)

    def to_representation(self, instance):
        return {"course_id": str(instance.course_id), "trigger": instance.trigger}


class LearningPathSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """
    A learning path. Written with the Credly ``template_id``; ``courses`` replaces the
    path's whole course list when given. ``required`` is how many courses earn the badge.
    """

    id = serializers.IntegerField(read_only=True)
    name = StrictCharField(max_length=255)
    template_id = StrictCharField(max_length=64)
    template_name = serializers.CharField(source="template.name", read_only=True)
    rule = serializers.ChoiceField(
        choices=LearningPath.RULE_CHOICES, required=False, default=LearningPath.RULE_ALL,
        error_messages={"invalid_choice": _('"{input}" is not a rule: use "all" or "at_least".')},
    )
    required_count = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    required = serializers.SerializerMethodField()
    is_active = StrictBooleanField(required=False, default=True)
    courses = LearningPathCourseSerializer(many=True)
    created = serializers.DateTimeField(read_only=True)
    modified = serializers.DateTimeField(read_only=True)

    def get_required(self, path):
        return path.required_for(len(path.courses.all()))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["template_id"] = instance.template.template_id
        return data

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({"non_field_errors": [
                _("Unknown field(s): %(fields)s. Known fields: %(known)s.") % {
                    "fields": ", ".join(unknown), "known": ", ".join(sorted(writable))}
            ]})
        return super().to_internal_value(data)

    def validate_template_id(self, value):
        """The synced template of that Credly ID (``validate`` checks that it can issue)."""
        template = BadgeTemplate.objects.select_related("organization").filter(template_id=value.strip()).first()
        if template is None:
            raise serializers.ValidationError(
                _('No badge template has the ID "%(id)s"; sync the templates from Credly first.') % {"id": value},
            )
        return template

    def validate(self, attrs):
        instance = self.instance
        template = attrs.get("template_id", instance.template if instance else None)
        rule = attrs.get("rule", instance.rule if instance else LearningPath.RULE_ALL)
        required_count = attrs.get("required_count", instance.required_count if instance else None)
        is_active = attrs.get("is_active", instance.is_active if instance else True)
        if "courses" in attrs:
            courses = [(entry["course_id"], entry.get("trigger", CourseBadgeTemplate.TRIGGER_CERTIFICATE))
                       for entry in attrs["courses"]]
        else:
            courses = [(row.course_id, row.trigger) for row in instance.courses.all()]

        keys = [key for key, _trigger in courses]
        duplicates = sorted({str(key) for key in keys if [str(k) for k in keys].count(str(key)) > 1})
        if duplicates:
            raise serializers.ValidationError({"courses": [
                _("Each course may appear once; listed twice: %(ids)s.") % {"ids": ", ".join(duplicates)}]})
        if "courses" in attrs:
            learning_paths.check_courses_exist(keys)
        if rule == LearningPath.RULE_ALL:
            required_count = None
        learning_paths.check_rule(rule, required_count, len(courses))
        if is_active and ("template_id" in attrs or "is_active" in attrs or instance is None):
            learning_paths.check_template(template)
        return {
            "name": attrs.get("name", instance.name if instance else None),
            "template": template,
            "rule": rule,
            "required_count": required_count,
            "is_active": is_active,
            "courses": courses if "courses" in attrs else None,
        }
