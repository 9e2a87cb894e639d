"""
Django admin of openedx-credly: the operator's whole control panel.

Organizations are connected here (credentials checked live, stored encrypted, never
shown back), templates synced, courses mapped, badges inspected and retried, and the
error log read. "Remove integration" wipes what the plugin stored for an organization.
"""
import re

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from openedx_credly.awarding import award_rules
from openedx_credly.issuing import issuance, scheduling
from openedx_credly.models import (
    BadgeIssuance,
    BadgeTemplate,
    CourseBadgeTemplate,
    CredlyErrorLog,
    CredlyOrganization,
    IssuedBadge,
    LearningPath,
    Milestone,
    WebhookEvent,
)
from openedx_credly.operators import health
from openedx_credly.operators.admin_actions import start_backfill
from openedx_credly.operators.admin_lists import (
    FixedChoicesFilter,
    LargeTableAdminMixin,
    RecentDateFilter,
    TemplateOrganizationFilter,
    learner_ids,
    search_issued_badges,
)
from openedx_credly.operators.forms import CourseBadgeTemplateForm, CredlyOrganizationForm
from openedx_credly.platform import get_platform
from openedx_credly.safe_urls import credly_url
from openedx_credly.syncing import template_sync, webhooks


class CredlyInstanceFilter(admin.SimpleListFilter):
    """Sandbox or production, titled as the list's column is."""

    title = _("Credly")
    parameter_name = "instance"

    def lookups(self, request, model_admin):
        return [("sandbox", _("Sandbox")), ("production", _("Production"))]

    def queryset(self, request, queryset):
        if self.value() in ("sandbox", "production"):
            return queryset.filter(use_sandbox=self.value() == "sandbox")
        return queryset


class OrganizationNameMixin:
    """A short organization column: its name, without the UUID its full label carries."""

    @admin.display(description=_("organization"), ordering="organization__name")
    def organization_name(self, obj):
        return obj.organization.name


def _breakable_key(key):
    """A course key that may wrap after its ``:`` and ``+`` (it has no spaces), so list columns stay narrow."""
    parts = re.split(r"(?<=[:+])", str(key))
    return format_html_join(mark_safe("<wbr>"), "{}", ((part,) for part in parts))


def _enqueue_after_commit(request, model_admin, badge_ids):
    """After the commit, enqueue the sending of ``badge_ids``; a broker outage is told, never a 500."""
    def send():
        if scheduling.enqueue(scheduling.ISSUE_BADGE, badge_ids) < len(badge_ids):
            model_admin.message_user(request, _(
                "The task queue could not be reached: the badges stay queued and the periodic sweeper sends "
                "them once it is back."), messages.WARNING)

    transaction.on_commit(send)


class BadgeIssuanceInline(admin.TabularInline):
    """The attempts to hold a Credly badge for one achievement, oldest first."""

    model = BadgeIssuance
    extra = 0
    can_delete = False
    fields = ("number", "state", "credly_badge_id", "attempts", "outcome_unclear", "last_error", "last_attempt_at",
              "next_attempt_at", "revoked_because", "created")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _thumbnail(url, alt):
    url = credly_url(url)
    if not url:
        return "—"
    return format_html('<img src="{}" alt="{}" style="height:40px;width:40px;object-fit:contain">', url, alt)


def _sweeper_notice(request, quiet_when_well=False):
    """Say when the periodic sweeper last ran; warn (and log) when Celery beat seems stopped."""
    status = health.check_sweeper()
    if status.late_since:
        messages.warning(request, _(
            "Periodic tasks are not running: the sweeper has not run since %(since)s UTC (expected every "
            "%(minutes)s minutes). Start Celery beat for the LMS (with Tutor, the credly-beat service)."
        ) % {
            "since": status.late_since.strftime("%Y-%m-%d %H:%M"),
            "minutes": int(status.period.total_seconds() // 60),
        })
    elif status.last_run_at and not quiet_when_well:
        messages.info(request, _("Periodic tasks are running: the sweeper last ran at %(last)s UTC.") % {
            "last": status.last_run_at.strftime("%Y-%m-%d %H:%M")})


@admin.register(CredlyOrganization)
class CredlyOrganizationAdmin(admin.ModelAdmin):
    """Connect Credly organizations; secrets are write-only."""

    form = CredlyOrganizationForm
    # Narrow enough for a 1280 px screen with the admin's sidebars; the rest is on the detail page.
    list_display = ("name", "instance", "status", "template_count", "remove_link")
    list_filter = (CredlyInstanceFilter, "is_active")
    search_fields = ("name", "organization_id")
    actions = ["sync_templates_action"]
    readonly_fields = ("templates_synced_at",)
    fieldsets = (
        (None, {"fields": ("name", "organization_id", "use_sandbox", "is_active", "templates_synced_at")}),
        (_("Authorization token"), {"fields": ("api_token",)}),
        (_("Or an OAuth client"), {"fields": ("client_id", "client_secret")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(active_template_count=Count("templates", filter=Q(
            templates__state=BadgeTemplate.STATE_ACTIVE)))

    @admin.display(description=_("Credly"), ordering="use_sandbox")
    def instance(self, obj):
        return _("Sandbox") if obj.use_sandbox else _("Production")

    @admin.display(description=_("status"))
    def status(self, obj):
        """Connected, or why the organization issues nothing now."""
        blocked = obj.issuing_blocked_reason()
        if blocked == "connection_lost":
            return _("Connection lost: reconnect")
        if blocked == "rate_limited":
            return _("Paused (rate limit) until %(until)s") % {"until": obj.issuing_paused_until.strftime("%H:%M:%S")}
        if blocked == "inactive":
            return _("Inactive")
        return _("Connected")

    @admin.display(description=_("templates"), ordering="active_template_count")
    def template_count(self, obj):
        return obj.active_template_count

    @admin.display(description=_("remove"))
    def remove_link(self, obj):
        url = reverse("admin:openedx_credly_credlyorganization_remove", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Remove integration"))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        organization_pk = obj.pk
        # Templates arrive right after connecting, and badges that waited for a reconnect leave.
        transaction.on_commit(lambda: template_sync.sync_templates(CredlyOrganization.objects.get(pk=organization_pk)))

        def resume():
            waiting = issuance.waiting_badge_ids(organization_pk)
            if scheduling.enqueue(scheduling.ISSUE_BADGE, waiting) < len(waiting):
                messages.warning(request, _(
                    "The task queue could not be reached: the badges that waited stay queued and the periodic "
                    "sweeper sends them once it is back."))

        transaction.on_commit(resume)
        messages.info(request, _("Connected to Credly. Badge templates are being synced."))

    @admin.action(description=_("Sync badge templates from Credly"))
    def sync_templates_action(self, request, queryset):
        """Read each selected organization's templates from Credly and say how many came."""
        for organization in queryset:
            result = template_sync.sync_templates(organization)
            if result is None:
                self.message_user(request, _("%(name)s: the sync failed; see the error log.") % {
                    "name": organization.name}, messages.ERROR)
            else:
                self.message_user(request, _("%(name)s: %(active)s active template(s), %(archived)s archived.") % {
                    "name": organization.name, "active": result[0], "archived": result[1]})

    def changelist_view(self, request, extra_context=None):
        _sweeper_notice(request)
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path("<int:pk>/remove/", self.admin_site.admin_view(self.remove_view),
                 name="openedx_credly_credlyorganization_remove"),
        ] + super().get_urls()

    def remove_view(self, request, pk):
        """Confirm, then delete everything stored for the organization."""
        organization = get_object_or_404(CredlyOrganization, pk=pk)
        if not self.has_delete_permission(request, organization):
            return redirect("admin:index")
        counts = {
            "templates": organization.templates.count(),
            "mappings": CourseBadgeTemplate.objects.filter(template__organization=organization).count(),
            "badges": IssuedBadge.objects.filter(template__organization=organization).count(),
            "errors": organization.error_log.count(),
            "learning_paths": LearningPath.objects.filter(template__organization=organization).count(),
        }
        if request.method == "POST":
            name = organization.name
            organization.delete()
            self.message_user(request, _("The Credly integration %(name)s was removed.") % {"name": name})
            return redirect("admin:openedx_credly_credlyorganization_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Remove the Credly integration?"),
            "organization": organization,
            "counts": counts,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "openedx_credly/admin/remove_integration.html", context)


@admin.register(BadgeTemplate)
class BadgeTemplateAdmin(OrganizationNameMixin, admin.ModelAdmin):
    """Templates as synced from Credly: read-only here, changed on Credly."""

    list_display = ("image", "name", "organization_name", "state")
    list_select_related = ("organization",)
    list_filter = ("state", "organization")
    search_fields = ("name", "template_id")
    actions = ["sync_action"]
    readonly_fields = ("organization", "template_id", "name", "description", "image", "url", "state",
                       "allow_duplicate_badges", "synced_at")
    exclude = ("image_url",)

    @admin.display(description=_("image"))
    def image(self, obj):
        return _thumbnail(obj.image_url, obj.name)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Sync these templates' organizations from Credly"))
    def sync_action(self, request, queryset):
        """Sync the organizations of the selected templates."""
        for organization in CredlyOrganization.objects.filter(templates__in=queryset).distinct():
            if template_sync.sync_templates(organization) is None:
                self.message_user(request, _("%(name)s: the sync failed; see the error log.") % {
                    "name": organization.name}, messages.ERROR)
        self.message_user(request, _("Templates synced."))


@admin.register(CourseBadgeTemplate)
class CourseBadgeTemplateAdmin(admin.ModelAdmin):
    """The course-level badge template setting."""

    form = CourseBadgeTemplateForm
    list_display = ("course", "template_image", "template", "trigger", "rules", "is_active")
    list_filter = ("trigger", "is_active", "source", "template__organization")
    search_fields = ("course_id", "template__name", "template__template_id")
    list_select_related = ("template__organization",)
    actions = ["backfill_action"]
    readonly_fields = ("source", "created_by", "created", "modified")

    def get_readonly_fields(self, request, obj=None):
        # Shown on an existing mapping's page only: on the add form they would all be empty.
        return self.readonly_fields if obj is not None else ()

    @admin.display(description=_("course"), ordering="course_id")
    def course(self, obj):
        return _breakable_key(obj.course_id)

    @admin.display(description=_("image"))
    def template_image(self, obj):
        return _thumbnail(obj.template.image_url, obj.template.name)

    @admin.display(description=_("rules"))
    def rules(self, obj):
        return award_rules.describe(obj)

    @admin.action(description=_("Award this badge to learners who already earned the course"))
    def backfill_action(self, request, queryset):
        """Enqueue a backfill of each selected mapping: a whole course is too much for one web request."""
        for mapping in queryset.select_related("template__organization"):
            if not (mapping.is_active and mapping.template.is_usable):
                self.message_user(request, _(
                    "%(mapping)s: nothing awarded, the mapping is inactive or its template cannot issue now."
                ) % {"mapping": mapping}, messages.WARNING)
                continue
            start_backfill(self, request, scheduling.BACKFILL_MAPPING, mapping.pk, name=mapping,
                           command="credly_backfill")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.source = CourseBadgeTemplate.SOURCE_ADMIN
        super().save_model(request, obj, form, change)
        if "course_id" in form.changed_data and get_platform().unknown_courses([obj.course_id]):
            # Saved all the same: staff may set the badge up before the course is created.
            self.message_user(request, _(
                "No course with the ID %(course)s exists on this site yet. The setting is saved; its badge is "
                "awarded once a course with this ID exists and its learners earn it. Check the ID if the course "
                "should already exist."
            ) % {"course": obj.course_id}, messages.WARNING)


@admin.register(IssuedBadge)
class IssuedBadgeAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    """Every badge earned: where it stands, and a retry for the failed ones."""

    list_display = ("learner", "template", "earned_for", "state", "earned_on")
    list_filter = ("state", TemplateOrganizationFilter, "template", RecentDateFilter)
    search_fields = ("credly_badge_id",)  # searched by get_search_results: exact values, through indexes
    search_help_text = _("An exact username, recipient email address, Credly badge ID or course ID.")
    list_prefetch = ("user", "template", "learning_path", "milestone")
    ordering = ("-earned_at", "-id")  # newest first, through the earned_at index
    inlines = [BadgeIssuanceInline]
    actions = ["retry_action"]
    readonly_fields = [field.name for field in IssuedBadge._meta.fields if field.editable]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Read-only everywhere, so the admin's index and lists offer "View", not "Change".
        return False

    def has_retry_permission(self, request):
        """Retrying changes the badge's issuance: for those the model's change permission is granted to."""
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.display(description=_("learner"))
    def learner(self, obj):
        return obj.user.get_username()

    def get_search_results(self, request, queryset, search_term):
        """Badges whose learner's username, recipient email, Credly id or course id is the term, through indexes."""
        return search_issued_badges(queryset, search_term), False

    @admin.display(description=_("earned for"), ordering="course_id")
    def earned_for(self, obj):
        """The course, or the learning path or milestone for their badges (which have no course)."""
        if obj.learning_path_id:
            return _("Path: %(name)s") % {"name": obj.learning_path.name}
        if obj.milestone_id:
            return _("Milestone: %(name)s") % {"name": obj.milestone.name}
        return _breakable_key(obj.course_id) if obj.course_id else "—"

    @admin.display(description=_("earned"), ordering="earned_at")
    def earned_on(self, obj):
        return date_format(timezone.localtime(obj.earned_at), "SHORT_DATE_FORMAT") if obj.earned_at else "—"

    @admin.display(description=_("attempts"))
    def attempts(self, obj):
        return obj.current_issuance.attempts if obj.current_issuance_id else 0

    @admin.action(description=_("Retry sending the selected failed or queued badges"), permissions=["retry"])
    def retry_action(self, request, queryset):
        """
        Give the selected badges another round of attempts, through the issuance state machine.

        Attempts and the "outcome unclear" flag are kept (an earlier attempt may have reached
        Credly, and the next one looks first); a badge a worker is sending right now is left to it.
        """
        retryable = queryset.filter(state__in=(IssuedBadge.STATE_FAILED, IssuedBadge.STATE_QUEUED))
        # Retirement blanks the address: nothing is ever sent for a retired learner.
        retired = retryable.filter(recipient_email="").count()
        being_revoked = retryable.exclude(recipient_email="").filter(current_issuance__revoke_requested=True).count()
        badge_ids = list(retryable.exclude(recipient_email="").exclude(
            current_issuance__revoke_requested=True).values_list("id", flat=True))
        retried, busy = issuance.retry(badge_ids)
        _enqueue_after_commit(request, self, retried)
        self.message_user(request, ngettext(
            "%(count)s badge will be sent again.", "%(count)s badges will be sent again.", len(retried),
        ) % {"count": len(retried)})
        if busy:
            self.message_user(request, ngettext(
                "%(count)s badge is being sent by a worker right now and was left to it.",
                "%(count)s badges are being sent by a worker right now and were left to them.", len(busy),
            ) % {"count": len(busy)}, messages.WARNING)
        if retired:
            self.message_user(request, ngettext(
                "%(count)s badge was not retried: its learner retired their account, so nothing is sent for them.",
                "%(count)s badges were not retried: their learners retired their accounts, so nothing is sent "
                "for them.", retired,
            ) % {"count": retired}, messages.WARNING)
        if being_revoked:
            self.message_user(request, ngettext(
                "%(count)s badge was not retried: its achievement was taken back and it is being revoked.",
                "%(count)s badges were not retried: their achievements were taken back and they are being revoked.",
                being_revoked,
            ) % {"count": being_revoked}, messages.WARNING)


@admin.register(CredlyErrorLog)
class CredlyErrorLogAdmin(LargeTableAdminMixin, OrganizationNameMixin, admin.ModelAdmin):
    """What went wrong, newest first; read-only."""

    list_display = ("created", "organization_name", "kind", "error")
    list_prefetch = ("organization",)
    list_filter = ("kind", "organization")
    search_fields = ("learner__username",)  # searched by get_search_results: the learner, through indexes
    search_help_text = _("The exact username of the learner an entry is about.")
    ordering = ("-created", "-id")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(learner_id__in=learner_ids(term)), False

    def changelist_view(self, request, extra_context=None):
        _sweeper_notice(request, quiet_when_well=True)
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WebhookEventTypeFilter(FixedChoicesFilter):
    """The event types Credly notifies, known in advance."""

    title = _("event type")
    parameter_name = "event_type"
    field_name = "event_type"
    values = webhooks.BADGE_EVENTS


@admin.register(WebhookEvent)
class WebhookEventAdmin(LargeTableAdminMixin, OrganizationNameMixin, admin.ModelAdmin):
    """Notifications received from Credly."""

    list_display = ("received_at", "organization_name", "event_id", "outcome")
    list_prefetch = ("organization",)
    list_filter = ("outcome", WebhookEventTypeFilter, "organization")
    search_fields = ("event_id",)  # searched by get_search_results: the exact id, through its index
    search_help_text = _("An exact event ID.")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (queryset.filter(event_id=term) if term else queryset), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    """Site-wide badges for enrolling in, or completing, N courses (docs/award_rules.rst)."""

    list_display = ("name", "template", "kind", "required_count", "organization", "is_active", "modified")
    list_filter = ("kind", "is_active", "template__organization")
    search_fields = ("name", "template__name", "organization", "course_key_prefixes")
    list_select_related = ("template",)
    actions = ["backfill_action"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "template":
            kwargs["queryset"] = BadgeTemplate.objects.filter(
                state=BadgeTemplate.STATE_ACTIVE, organization__is_active=True).select_related("organization")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description=_("Award these milestones to learners who reached them before (platform records)"))
    def backfill_action(self, request, queryset):
        """Enqueue, for each active milestone, a task that reads the platform's records and awards what they reach."""
        for milestone in queryset.filter(is_active=True):
            start_backfill(self, request, scheduling.BACKFILL_MILESTONE, milestone.pk, name=milestone.name,
                           command="credly_backfill_milestones")


# Learning-path badges have their own admin module.
from openedx_credly.operators import (  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
    admin_learning_paths,
)
