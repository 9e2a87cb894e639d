"""
Django admin of openedx-credly: the operator's whole control panel.

Organizations are connected here (credentials checked live, stored encrypted, never
shown back), templates synced, courses mapped, badges inspected and retried, and the
error log read. "Remove integration" wipes what the plugin stored for an organization.
"""
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from openedx_credly import issuance, scheduling, sync
from openedx_credly.forms import CourseBadgeTemplateForm, CredlyOrganizationForm
from openedx_credly.models import (
    BadgeIssuance,
    BadgeTemplate,
    CourseBadgeTemplate,
    CredlyErrorLog,
    CredlyOrganization,
    IssuedBadge,
    LearningPath,
    WebhookEvent,
)


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
    if not url:
        return "—"
    return format_html('<img src="{}" alt="{}" style="height:40px;width:40px;object-fit:contain">', url, alt)


@admin.register(CredlyOrganization)
class CredlyOrganizationAdmin(admin.ModelAdmin):
    """Connect Credly organizations; secrets are write-only."""

    form = CredlyOrganizationForm
    list_display = ("name", "organization_id", "instance", "status", "template_count", "templates_synced_at",
                    "remove_link")
    list_filter = ("use_sandbox", "is_active")
    search_fields = ("name", "organization_id")
    actions = ["sync_templates_action"]
    fieldsets = (
        (None, {"fields": ("name", "organization_id", "use_sandbox", "is_active")}),
        (_("Authorization token"), {"fields": ("api_token",)}),
        (_("Or an OAuth client"), {"fields": ("client_id", "client_secret")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_template_count=Count("templates", filter=Q(
            templates__state=BadgeTemplate.STATE_ACTIVE)))

    @admin.display(description=_("Credly"), ordering="use_sandbox")
    def instance(self, obj):
        return _("Sandbox") if obj.use_sandbox else _("Production")

    @admin.display(description=_("status"))
    def status(self, obj):
        blocked = obj.issuing_blocked_reason()
        if blocked == "connection_lost":
            return _("Connection lost: reconnect")
        if blocked == "rate_limited":
            return _("Paused (rate limit) until %(until)s") % {"until": obj.issuing_paused_until.strftime("%H:%M:%S")}
        if blocked == "inactive":
            return _("Inactive")
        return _("Connected")

    @admin.display(description=_("active templates"), ordering="_template_count")
    def template_count(self, obj):
        return obj._template_count  # pylint: disable=protected-access

    @admin.display(description=_("remove"))
    def remove_link(self, obj):
        url = reverse("admin:openedx_credly_credlyorganization_remove", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Remove integration"))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        organization_pk = obj.pk
        # Templates arrive right after connecting, and badges that waited for a reconnect leave.
        transaction.on_commit(lambda: sync.sync_templates(CredlyOrganization.objects.get(pk=organization_pk)))

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
        for organization in queryset:
            result = sync.sync_templates(organization)
            if result is None:
                self.message_user(request, _("%(name)s: the sync failed; see the error log.") % {
                    "name": organization.name}, messages.ERROR)
            else:
                self.message_user(request, _("%(name)s: %(active)s active template(s), %(archived)s archived.") % {
                    "name": organization.name, "active": result[0], "archived": result[1]})

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
class BadgeTemplateAdmin(admin.ModelAdmin):
    """Templates as synced from Credly: read-only here, changed on Credly."""

    list_display = ("image", "name", "organization", "state", "allow_duplicate_badges", "template_id", "synced_at")
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
        for organization in CredlyOrganization.objects.filter(templates__in=queryset).distinct():
            if sync.sync_templates(organization) is None:
                self.message_user(request, _("%(name)s: the sync failed; see the error log.") % {
                    "name": organization.name}, messages.ERROR)
        self.message_user(request, _("Templates synced."))


@admin.register(CourseBadgeTemplate)
class CourseBadgeTemplateAdmin(admin.ModelAdmin):
    """The course-level badge template setting."""

    form = CourseBadgeTemplateForm
    list_display = ("course_id", "template_image", "template", "trigger", "is_active", "revoke_on_certificate_revoked",
                    "source", "modified")
    list_filter = ("trigger", "is_active", "source", "template__organization")
    search_fields = ("course_id", "template__name", "template__template_id")
    list_select_related = ("template__organization",)
    actions = ["backfill_action"]

    @admin.display(description=_("image"))
    def template_image(self, obj):
        return _thumbnail(obj.template.image_url, obj.template.name)

    @admin.action(description=_("Award this badge to learners who already earned the course"))
    def backfill_action(self, request, queryset):
        """Enqueue a backfill of each selected mapping: a whole course is too much for one web request."""
        for mapping in queryset.select_related("template__organization"):
            if not (mapping.is_active and mapping.template.is_usable):
                self.message_user(request, _(
                    "%(mapping)s: nothing awarded, the mapping is inactive or its template cannot issue now."
                ) % {"mapping": mapping}, messages.WARNING)
                continue
            if scheduling.enqueue(scheduling.BACKFILL_MAPPING, [mapping.pk]):
                self.message_user(request, _(
                    "%(mapping)s: the backfill runs in the background; its badges appear in the issued badges "
                    "list as they are queued, and the worker's log gives the summary."
                ) % {"mapping": mapping})
            else:
                self.message_user(request, _(
                    "%(mapping)s: the task queue could not be reached, nothing was started. Try again later, "
                    "or run manage.py credly_backfill."
                ) % {"mapping": mapping}, messages.ERROR)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.source = CourseBadgeTemplate.SOURCE_ADMIN
        super().save_model(request, obj, form, change)


@admin.register(IssuedBadge)
class IssuedBadgeAdmin(admin.ModelAdmin):
    """Every badge earned: where it stands, and a retry for the failed ones."""

    list_display = ("id", "user", "template", "course_id", "state", "earned_at", "attempts", "credly_badge_id")
    list_filter = ("state", "template__organization", "template")
    search_fields = ("user__username", "recipient_email", "credly_badge_id", "course_id")
    list_select_related = ("user", "template", "current_issuance")
    inlines = [BadgeIssuanceInline]
    date_hierarchy = "earned_at"
    actions = ["retry_action"]
    readonly_fields = [field.name for field in IssuedBadge._meta.fields if field.editable]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request)

    @admin.display(description=_("attempts"))
    def attempts(self, obj):
        return obj.current_issuance.attempts if obj.current_issuance_id else 0

    @admin.action(description=_("Retry sending the selected failed or queued badges"))
    def retry_action(self, request, queryset):
        """
        Give the selected badges another round of attempts, through the issuance state machine.

        Attempts and the "outcome unclear" flag are kept (an earlier attempt may have reached
        Credly, and the next one looks first); a badge a worker is sending right now is left to it.
        """
        badge_ids = list(queryset.filter(
            state__in=(IssuedBadge.STATE_FAILED, IssuedBadge.STATE_QUEUED)).values_list("id", flat=True))
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


@admin.register(CredlyErrorLog)
class CredlyErrorLogAdmin(admin.ModelAdmin):
    """What went wrong, newest first; read-only."""

    list_display = ("created", "organization", "error", "details")
    list_filter = ("kind", "organization")
    search_fields = ("error", "details")
    ordering = ("-created", "-id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """Notifications received from Credly."""

    list_display = ("received_at", "organization", "event_type", "event_id", "times_received", "outcome")
    list_filter = ("outcome", "event_type", "organization")
    search_fields = ("event_id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

# Learning-path badges have their own admin module.
from openedx_credly import admin_learning_paths  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
