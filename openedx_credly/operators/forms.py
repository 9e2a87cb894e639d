"""Admin forms: connecting a Credly organization, and choosing a course's badge template."""
import uuid

from django import forms
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from openedx_credly.awarding import learning_paths
from openedx_credly.course_staff import course_settings
from openedx_credly.credly import CredlyCredentialError, CredlyError, CredlyNotFoundError, CredlyTransientError
from openedx_credly.credly.connections import client_for
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization
from openedx_credly.safe_urls import credly_url

SECRET_FIELDS = ("api_token", "client_secret")


class SecretInput(forms.PasswordInput):
    """A password box that never sends the stored secret back to the browser."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False)


class CredlyOrganizationForm(forms.ModelForm):
    """
    Connect (or reconnect) a Credly organization.

    Secrets are write-only: a blank box keeps the stored value. Before anything is
    saved, the credential is tried against Credly (``GET organizations/{id}``).
    """

    class Meta:
        model = CredlyOrganization
        fields = ["name", "organization_id", "use_sandbox", "api_token", "client_id", "client_secret", "is_active"]
        widgets = {"api_token": SecretInput(), "client_secret": SecretInput()}
        help_texts = {
            "api_token": _("From Credly: Organization settings → API. Leave blank to keep the stored token."),
            "client_id": _("For OAuth instead of a token: the client ID Credly gave you."),
            "client_secret": _("The OAuth client secret. Leave blank to keep the stored secret."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            self.fields[name].required = False
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = _("A value is stored (not shown). Leave blank to keep it.")
        # The organization's stored values, before this form touched the instance.
        self._stored = {name: getattr(self.instance, name) for name in SECRET_FIELDS} if self.instance.pk else {}

    def clean_organization_id(self):
        """A UUID, written the way Credly writes it."""
        value = self.cleaned_data["organization_id"].strip()
        try:
            return str(uuid.UUID(value))
        except ValueError as error:
            raise forms.ValidationError(
                _("This is not a Credly organization ID: it looks like 1a2b3c4d-1a2b-1a2b-1a2b-1a2b3c4d5e6f.")
            ) from error

    def clean(self):
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            if not cleaned.get(name):
                cleaned[name] = self._stored.get(name, "")
        token, client_id, secret = cleaned.get("api_token"), cleaned.get("client_id"), cleaned.get("client_secret")
        if bool(client_id) != bool(secret):
            raise forms.ValidationError(_("OAuth needs both the client ID and the client secret."))
        if not token and not (client_id and secret):
            raise forms.ValidationError(_("Enter an authorization token, or an OAuth client ID and secret."))
        if not self.errors:
            self._check_connection(cleaned)
        return cleaned

    def _check_connection(self, cleaned):
        """Try the credential against Credly (``GET organizations/{id}``); a refusal is a form error."""
        candidate = CredlyOrganization(
            organization_id=cleaned.get("organization_id", ""),
            api_token=cleaned.get("api_token") or "",
            client_id=cleaned.get("client_id") or "",
            client_secret=cleaned.get("client_secret") or "",
            use_sandbox=cleaned.get("use_sandbox", False),
        )
        if not candidate.client_id:
            candidate.client_secret = ""
        try:
            client_for(candidate).get_organization()
        except (CredlyCredentialError, CredlyNotFoundError) as error:
            raise forms.ValidationError(
                _("Could not connect to Credly: check the organization ID, the credentials and the sandbox box."),
                code="credly_refused",
            ) from error
        except CredlyTransientError as error:
            raise forms.ValidationError(
                _("Credly could not be reached to check these credentials; nothing was saved. Try again shortly."),
                code="credly_unreachable",
            ) from error
        except CredlyError as error:
            raise forms.ValidationError(
                _("Credly did not accept these settings; nothing was saved."), code="credly_error",
            ) from error

    def save(self, commit=True):
        instance = super().save(commit=False)
        for name in SECRET_FIELDS:
            setattr(instance, name, self.cleaned_data.get(name) or "")
        if not instance.client_id:
            instance.client_secret = ""
        # A credential that just worked ends any "connection lost" state.
        instance.connection_lost_at = None
        instance.connection_lost_reason = ""
        if commit:
            instance.save()
        return instance


class TemplateSelect(forms.Select):
    """A template list that shows the chosen template's badge image beside it."""

    class Media:
        js = ["openedx_credly/admin/template_preview.js"]

    def create_option(  # pylint: disable=too-many-positional-arguments
        self, name, value, label, selected, index, subindex=None, attrs=None,
    ):  # Django's signature
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        template = getattr(value, "instance", None)
        if template is not None and credly_url(template.image_url):
            option["attrs"]["data-image-url"] = credly_url(template.image_url)
        return option

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {}), "data-credly-template-select": "1"}
        select = super().render(name, value, attrs=attrs, renderer=renderer)
        template = None
        if value not in (None, ""):
            template = BadgeTemplate.objects.filter(pk=getattr(value, "value", value)).first()
        image_url = credly_url(template.image_url) if template else ""
        return format_html(
            '<span class="credly-template-choice">{}<img id="{}_preview" class="credly-template-preview" src="{}" '
            'alt="{}" style="height:48px;width:48px;object-fit:contain;vertical-align:middle;margin-left:8px;{}">'
            "</span>",
            select, attrs.get("id", name), image_url, template.name if template else "",
            "" if image_url else "display:none",
        )


class TemplateChoiceField(forms.ModelChoiceField):
    """Active templates only, labelled with their organization, shown with their image."""

    widget = TemplateSelect

    def label_from_instance(self, obj):
        return f"{obj.name} — {obj.organization.name}"


class CourseBadgeTemplateForm(forms.ModelForm):
    """A course's badge template setting; only active templates can be chosen."""

    template = TemplateChoiceField(
        queryset=BadgeTemplate.objects.filter(
            state=BadgeTemplate.STATE_ACTIVE, organization__is_active=True,
        ).select_related("organization"),
        label=_("Badge template"),
    )

    course_id = forms.CharField(
        label=_("course"), max_length=255,
        help_text=_("The course's ID, for example course-v1:Org+Course+Run."),
    )

    modes = forms.CharField(
        label=_("Certificate modes"), required=False,
        help_text=_("Award only certificates of these modes, separated by commas (verified, professional, ...). "
                    "Empty: any mode."),
    )

    class Meta:
        model = CourseBadgeTemplate
        fields = ["course_id", "template", "trigger", "is_active", "revoke_on_certificate_revoked",
                  "min_grade", "max_grade", "modes", "expires_in_months"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Keep the current template listed even once archived, so the reason is shown, not "invalid choice".
            self.fields["template"].queryset = BadgeTemplate.objects.filter(
                Q(state=BadgeTemplate.STATE_ACTIVE, organization__is_active=True) | Q(pk=self.instance.template_id)
            ).select_related("organization")
        if not self.is_bound:
            self.initial["modes"] = ", ".join(self.instance.modes or [])
            if self.instance.course_id:
                self.initial["course_id"] = str(self.instance.course_id)

    def clean_course_id(self):
        """A course key in opaque-keys' sense, in plain words when it is not (as the learning path form says it)."""
        return learning_paths.parse_course_key(self.cleaned_data["course_id"])

    def clean(self):
        cleaned = super().clean()
        # The same rules as the course staff API and the Advanced Settings mirror.
        try:
            if cleaned.get("template") is not None:
                course_settings.check_template(cleaned["template"])
            if cleaned.get("trigger"):
                course_settings.check_trigger(cleaned["trigger"])
                cleaned.update(course_settings.check_rules(cleaned["trigger"], cleaned))
        except course_settings.CourseSettingError as error:
            raise forms.ValidationError(error.message, code=error.code) from error
        return cleaned
