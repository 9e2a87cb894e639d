"""
The course's badge template, as a course author types it in Studio's Advanced Settings.

In *Other Course Settings* (enabled by the platform's ``ENABLE_OTHER_COURSE_SETTINGS``)::

    {"credly": {"badge_template_id": "<Credly template ID>", "trigger": "certificate"}}

``trigger`` is ``"certificate"`` (default), ``"passing"`` or ``"grade"``; ``revoke_on_certificate_revoked``
(true/false) and the award rules ``min_grade``, ``max_grade``, ``modes`` and ``expires_in_months``
(docs/award_rules.rst) are optional; a list of such objects maps several templates. When the course
is published, Studio sends ``COURSE_CATALOG_INFO_CHANGED`` and ``mirror_course`` copies the
setting into the plugin's own mapping (``source=advanced_settings``). Removing the key
removes only the mappings that came from it: a mapping added in the admin or through the
API stays. A template that cannot be used is reported in the Credly error log, in words
that tell the course author what to fix.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from openedx_credly import errorlog
from openedx_credly.course_staff import course_settings
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyErrorLog, CredlyOrganization
from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)

SETTINGS_KEY = "credly"
ENTRY_KEYS = {"badge_template_id", "trigger", "revoke_on_certificate_revoked", *course_settings.RULE_FIELDS}
# The same configuration error is written to the error log at most once a day per course.
ERROR_REPEAT_AFTER = timedelta(days=1)


@dataclass
class MirrorResult:
    """What mirroring one course did."""

    course_key: object
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def __str__(self):
        parts = [
            _("%(count)s added") % {"count": len(self.added)},
            _("%(count)s changed") % {"count": len(self.changed)},
            _("%(count)s unchanged") % {"count": len(self.unchanged)},
            _("%(count)s removed") % {"count": len(self.removed)},
        ]
        text = f"{self.course_key}: " + ", ".join(parts)
        for error in self.errors:
            text += "\n  " + _("error: %(error)s") % {"error": error}
        return text


class SettingsFormatError(ValueError):
    """The "credly" entry of Other Course Settings is not in a shape we read."""


def parse_entries(value):
    """
    The mappings that the "credly" entry asks for: a list of dicts with
    ``template_id``, ``trigger``, ``revoke_on_certificate_revoked`` and ``rules`` (checked on saving).

    ``None`` (no entry) asks for none. Raises ``SettingsFormatError`` for a shape we
    cannot read, so that a typo never silently removes a course's badge.
    """
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    entries = []
    for item in items:
        if not isinstance(item, dict):
            raise SettingsFormatError(
                _('The "credly" entry must be an object such as {"badge_template_id": "...", "trigger": '
                  '"certificate"}, or a list of such objects.')
            )
        unknown = set(item) - ENTRY_KEYS
        if unknown:
            raise SettingsFormatError(
                _('The "credly" entry has unknown key(s) %(keys)s; the known keys are %(known)s.') % {
                    "keys": ", ".join(sorted(map(str, unknown))), "known": ", ".join(sorted(ENTRY_KEYS))}
            )
        template_id = item.get("badge_template_id")
        if template_id in (None, ""):
            continue  # an emptied entry means "no badge"
        if not isinstance(template_id, str):
            raise SettingsFormatError(_('"badge_template_id" must be a text value (the Credly template ID).'))
        revoke = item.get("revoke_on_certificate_revoked", False)
        if not isinstance(revoke, bool):
            raise SettingsFormatError(_('"revoke_on_certificate_revoked" must be true or false.'))
        entries.append({
            "template_id": template_id.strip(),
            "trigger": item.get("trigger", CourseBadgeTemplate.TRIGGER_CERTIFICATE),
            "revoke_on_certificate_revoked": revoke,
            "rules": {name: item.get(name) for name in course_settings.RULE_FIELDS},
        })
    return entries


def mirror_course(course_key):
    """Copy the course's Advanced Settings badge choice into its mappings; never talks to Credly."""
    result = MirrorResult(course_key=course_key)
    other_settings = get_platform().get_other_course_settings(course_key) or {}
    try:
        entries = parse_entries(other_settings.get(SETTINGS_KEY) if isinstance(other_settings, dict) else None)
    except SettingsFormatError as error:
        # Leave the course's mappings as they are: a typo must not take a badge away.
        _report(course_key, str(error), organizations=_course_organizations(course_key))
        result.errors.append(str(error))
        return result

    wanted_ids = set()
    for entry in entries:
        wanted_ids.add(entry["template_id"])
        try:
            change = course_settings.set_mapping(
                course_key, entry["template_id"], trigger=entry["trigger"],
                revoke_on_certificate_revoked=entry["revoke_on_certificate_revoked"],
                source=CourseBadgeTemplate.SOURCE_ADVANCED_SETTINGS, rules=entry["rules"],
            )
        except course_settings.CourseSettingError as error:
            _report(course_key, error.message, template_id=entry["template_id"])
            result.errors.append(error.message)
            continue
        bucket = result.added if change.created else result.changed if change.changed else result.unchanged
        bucket.append(entry["template_id"])

    stale = CourseBadgeTemplate.objects.filter(
        course_id=course_key, source=CourseBadgeTemplate.SOURCE_ADVANCED_SETTINGS,
    ).exclude(template__template_id__in=wanted_ids).select_related("template")
    for mapping in stale:
        course_settings.remove_mapping(mapping, source=CourseBadgeTemplate.SOURCE_ADVANCED_SETTINGS)
        result.removed.append(mapping.template.template_id)
    return result


def _course_organizations(course_key):
    return list(CredlyOrganization.objects.filter(
        templates__course_mappings__course_id=course_key).distinct()) or None


def _report(course_key, reason, template_id=None, organizations=None):
    """Write a configuration error that the course author can fix, once a day per course and reason."""
    if organizations is None:
        template = BadgeTemplate.objects.select_related("organization").filter(template_id=template_id).first()
        if template is not None:
            organizations = [template.organization]
        else:
            # Nobody knows which organization an unknown template was meant for: tell them all.
            organizations = list(CredlyOrganization.objects.filter(is_active=True))
    details = _(
        "Course %(course)s names a Credly badge in Studio (Settings > Advanced Settings > Other Course Settings, "
        'the "credly" entry) that cannot be used: %(reason)s Fix the entry in Studio and publish the course again; '
        "until then this course's Advanced Settings badge is not awarded."
    ) % {"course": course_key, "reason": reason}
    log.warning("openedx-credly: %s", details)
    since = timezone.now() - ERROR_REPEAT_AFTER
    for organization in organizations:
        already = CredlyErrorLog.objects.filter(
            organization=organization, kind=CredlyErrorLog.KIND_CONFIGURATION, details=details, created__gte=since,
        ).exists()
        if not already:
            errorlog.record(organization, CredlyErrorLog.KIND_CONFIGURATION,
                            _("Course badge setting in Advanced Settings cannot be used"), details)


# pylint: disable-next=unused-argument
def on_course_catalog_info_changed(signal, sender, catalog_info, metadata=None, **kwargs):
    """Studio published a course: mirror its Advanced Settings badge choice. Never raises."""
    try:
        mirror_course(catalog_info.course_key)
    except Exception:  # pylint: disable=broad-except
        log.exception("openedx-credly could not read the Advanced Settings badge of %s.",
                      getattr(catalog_info, "course_key", "?"))
