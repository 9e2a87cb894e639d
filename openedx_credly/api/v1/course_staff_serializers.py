"""What the course staff API reads and writes."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from openedx_credly.course_staff.course_settings import TRIGGERS
from openedx_credly.safe_urls import credly_url


class StrictCharField(serializers.CharField):
    """Text only: a number or a list is a type error, not something to turn into text."""

    default_error_messages = {"invalid": _("Expected a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: "false" as text is a type error, not a truthy string."""

    default_error_messages = {"invalid": _("Expected true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class GradeField(serializers.Field):
    """A percent from 0 to 100 as a JSON number, or null; checked with the other rules in ``award_rules``."""

    default_error_messages = {"invalid": _("Expected a number from 0 to 100 (a percent), or null.")}

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, default=None, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return None if value is None else float(value)


class ModesField(serializers.ListField):
    """A list of certificate modes; ``[]`` (or null) for any mode."""

    default_error_messages = {"not_a_list": _('Expected a list of certificate modes such as ["verified"].')}

    def __init__(self, **kwargs):
        super().__init__(child=StrictCharField(max_length=64), required=False, allow_null=True, default=list,
                         max_length=20, **kwargs)

    def to_internal_value(self, data):
        return [] if data is None else super().to_internal_value(data)


class MonthsField(serializers.Field):
    """A whole number of months as a JSON number, or null."""

    default_error_messages = {"invalid": _("Expected a whole number of months, or null.")}

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, default=None, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class CourseBadgeTemplateRequestSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """The body of ``POST courses/{course_id}/badge-templates/``."""

    template_id = StrictCharField(max_length=64)
    trigger = serializers.ChoiceField(
        choices=TRIGGERS, required=False, default=TRIGGERS[1],
        error_messages={"invalid_choice": _('"{input}" is not a trigger: use "passing", "certificate" or "grade".')},
    )
    revoke_on_certificate_revoked = StrictBooleanField(required=False, default=False)
    is_active = StrictBooleanField(required=False, default=True)
    min_grade = GradeField()
    max_grade = GradeField()
    modes = ModesField()
    expires_in_months = MonthsField()

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({"non_field_errors": [
                _("Unknown field(s): %(fields)s. Known fields: %(known)s.") % {
                    "fields": ", ".join(unknown), "known": ", ".join(self.fields)}
            ]})
        return super().to_internal_value(data)


class CredlyURLField(serializers.CharField):
    """A URL that came from Credly, shown only when ``safe_urls.credly_url`` accepts it (else "")."""

    def to_representation(self, value):
        return credly_url(value)


class OrganizationSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    id = serializers.CharField(source="organization_id")
    name = serializers.CharField()


class TemplateSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """A badge template a course may choose."""

    id = serializers.CharField(source="template_id")
    name = serializers.CharField()
    description = serializers.CharField()
    image_url = CredlyURLField()
    organization = OrganizationSerializer()


class CourseBadgeTemplateSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """One of a course's badge template mappings."""

    template_id = serializers.CharField(source="template.template_id")
    name = serializers.CharField(source="template.name")
    image_url = CredlyURLField(source="template.image_url")
    template_state = serializers.CharField(source="template.state")
    trigger = serializers.CharField()
    is_active = serializers.BooleanField()
    revoke_on_certificate_revoked = serializers.BooleanField()
    min_grade = GradeField()
    max_grade = GradeField()
    modes = serializers.ListField(child=serializers.CharField())
    expires_in_months = MonthsField()
    source = serializers.CharField()
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
