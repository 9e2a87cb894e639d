"""
Django admin of learning-path badges (imported by operators/admin.py).

A path is edited with its courses as inline rows. Course ids are checked with
opaque-keys and against the platform's courses, N against the number of courses
kept, and the template must be able to issue badges.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from openedx_credly.awarding import learning_paths
from openedx_credly.issuing import scheduling
from openedx_credly.models import BadgeTemplate, LearningPath, LearningPathCourse
from openedx_credly.operators.admin_actions import start_backfill
from openedx_credly.operators.forms import TemplateChoiceField


class LearningPathForm(forms.ModelForm):
    """A path's name, template and rule; the template must be able to issue badges."""

    # Every template is offered so that choosing an archived one gets a clear message,
    # rather than "select a valid choice".
    template = TemplateChoiceField(
        queryset=BadgeTemplate.objects.select_related("organization"), label=_("Badge template"),
    )

    class Meta:
        model = LearningPath
        fields = ["name", "template", "rule", "required_count", "is_active"]

    def clean(self):
        cleaned = super().clean()
        template = cleaned.get("template")
        if template is not None and cleaned.get("is_active"):
            try:
                learning_paths.check_template(template)
            except ValidationError as error:
                self.add_error("template", error)
        if cleaned.get("rule") == LearningPath.RULE_ALL:
            # N means nothing for "every course"; do not keep a stale one.
            cleaned["required_count"] = None
        elif not cleaned.get("required_count") and "required_count" not in self.errors:
            self.add_error("required_count", ValidationError(
                _("With \"at least N courses\", enter N: how many courses earn the badge (1 or more)."),
                code="required_count_missing",
            ))
        return cleaned


class LearningPathCourseForm(forms.ModelForm):
    """One course of the path: an opaque-keys course id the platform knows."""

    course_id = forms.CharField(
        label=_("course ID"), max_length=255, widget=forms.TextInput(attrs={"size": 45}),
        help_text=_("For example course-v1:Org+Course+Run."),
    )

    class Meta:
        model = LearningPathCourse
        fields = ["course_id", "trigger"]

    def clean_course_id(self):
        key = learning_paths.parse_course_key(self.cleaned_data["course_id"])
        learning_paths.check_courses_exist([key])
        return key


class LearningPathCourseFormSet(forms.BaseInlineFormSet):
    """The path's courses, checked together against the path's rule."""

    def clean(self):
        if any(self.errors):
            super().clean()
            return
        kept = [
            form for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("course_id")
        ]
        seen = set()
        for form in kept:
            course_id = str(form.cleaned_data["course_id"])
            if course_id in seen:
                raise ValidationError(
                    _("The course %(course)s is listed twice."), code="duplicate_course", params={"course": course_id},
                )
            seen.add(course_id)
        super().clean()
        # self.instance carries the rule and N just entered in the path's own form.
        rule = self.instance.rule
        if rule == LearningPath.RULE_AT_LEAST and not self.instance.required_count:
            rule = LearningPath.RULE_ALL  # the missing N is reported by the path's own form
        learning_paths.check_rule(rule, self.instance.required_count, len(kept))


class LearningPathCourseInline(admin.TabularInline):
    """The courses of a path, added and removed as rows."""

    model = LearningPathCourse
    form = LearningPathCourseForm
    formset = LearningPathCourseFormSet
    extra = 2
    min_num = 0


@admin.register(LearningPath)
class LearningPathAdmin(admin.ModelAdmin):
    """Learning paths: one badge for completing a set of courses."""

    form = LearningPathForm
    inlines = [LearningPathCourseInline]
    list_display = ("name", "template", "rule_summary", "is_active", "modified")
    list_filter = ("is_active", "rule", "template__organization")
    search_fields = ("name", "template__name", "courses__course_id")
    list_select_related = ("template",)
    actions = ["backfill_action"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(course_count=Count("courses"))

    @admin.display(description=_("rule"))
    def rule_summary(self, obj):
        count = obj.course_count
        return _("%(required)s of %(count)s courses") % {"required": obj.required_for(count), "count": count}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Award the badge to learners who already completed the path"))
    def backfill_action(self, request, queryset):
        """Enqueue a backfill of each selected path: every course's earners are too much for one web request."""
        for path in queryset.select_related("template__organization"):
            if not path.is_active or not path.template.is_usable:
                self.message_user(request, _("%(name)s: inactive, or its template cannot issue badges; skipped.") % {
                    "name": path.name}, messages.WARNING)
                continue
            start_backfill(self, request, scheduling.BACKFILL_LEARNING_PATH, path.pk, name=path.name,
                           command="credly_backfill_learning_path")
