"""
The course-level badge template setting: the one place that adds, changes and removes it.

The REST API (course staff), the Django admin and the Studio Advanced Settings mirror
all come here, so they accept and refuse the same things: a template must exist, be
active, and belong to an active organization; the trigger must be one we know.
Changes made through the API or the mirror are written to the admin history
(``LogEntry``), next to the changes made in the admin itself, so operators see who
changed a course's badge and when, whatever the path.
"""
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate
from openedx_credly.models import rules as rule_checks

log = logging.getLogger(__name__)

TRIGGERS = (CourseBadgeTemplate.TRIGGER_PASSING, CourseBadgeTemplate.TRIGGER_CERTIFICATE,
            CourseBadgeTemplate.TRIGGER_GRADE)
RULE_FIELDS = ("min_grade", "max_grade", "modes", "expires_in_months")
# How many times a write that lost an insert race is tried again (as an update).
WRITE_ATTEMPTS = 3


class CourseSettingError(ValueError):
    """A course badge setting that cannot be saved; ``message`` says why, in words for the caller."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class MappingChange:
    """What ``set_mapping`` did: the mapping, and whether it was created or changed."""

    mapping: CourseBadgeTemplate
    created: bool
    changed: bool


def usable_templates():
    """Templates a course may choose: active, of an active organization."""
    return BadgeTemplate.objects.filter(
        state=BadgeTemplate.STATE_ACTIVE, organization__is_active=True,
    ).select_related("organization")


def check_trigger(trigger):
    """Raise ``CourseSettingError`` unless ``trigger`` is one of ``TRIGGERS``."""
    if trigger not in TRIGGERS:
        raise CourseSettingError(
            _('"%(trigger)s" is not a trigger: use "passing", "certificate" or "grade".') % {"trigger": trigger},
            "invalid_trigger",
        )


def check_rules(trigger, rules):
    """
    The award rules (``min_grade``, ``max_grade``, ``modes``, ``expires_in_months``) in stored form;
    a ``CourseSettingError`` naming the field when they cannot be saved. Missing keys mean "no rule".
    """
    try:
        return rule_checks.check_rules(trigger, **{name: (rules or {}).get(name) for name in RULE_FIELDS})
    except rule_checks.RuleError as error:
        raise CourseSettingError(error.message, error.code) from error


def check_template(template_or_id):
    """
    The template, if a course may use it; else ``CourseSettingError`` saying why.

    Accepts a ``BadgeTemplate`` or its Credly template ID.
    """
    template = template_or_id
    if not isinstance(template_or_id, BadgeTemplate):
        template = (
            BadgeTemplate.objects.select_related("organization").filter(template_id=str(template_or_id).strip()).first()
        )
        if template is None:
            raise CourseSettingError(
                _(
                    'No badge template with the ID "%(id)s" is known here. Use an ID listed by '
                    "/api/credly/v1/templates/, or ask the site operator to sync the templates from Credly."
                ) % {"id": template_or_id},
                "unknown_template",
            )
    if template.state == BadgeTemplate.STATE_ARCHIVED:
        raise CourseSettingError(
            _('The badge template "%(name)s" is archived on Credly and can no longer award badges.')
            % {"name": template.name},
            "archived_template",
        )
    if template.state != BadgeTemplate.STATE_ACTIVE:
        raise CourseSettingError(
            _('The badge template "%(name)s" is not active on Credly (it is a draft). Publish it on Credly first.')
            % {"name": template.name},
            "inactive_template",
        )
    if not template.organization.is_active:
        raise CourseSettingError(
            _('The badge template "%(name)s" belongs to a Credly organization that is switched off on this site.')
            % {"name": template.name},
            "inactive_organization",
        )
    return template


def system_user():
    """
    The account that automated changes (the Advanced Settings mirror) are recorded under.

    An inactive account without a usable password, made on first use; its username is
    the ``CREDLY_SYSTEM_USERNAME`` setting.
    """
    username = getattr(settings, "CREDLY_SYSTEM_USERNAME", None) or "openedx_credly_system"
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        try:
            with transaction.atomic():
                user = user_model(username=username, is_active=False)
                user.set_unusable_password()
                user.save()
        except IntegrityError:
            user = user_model.objects.get(username=username)
    return user


def record_history(mapping, action_flag, message, user=None):
    """Write an admin history entry (``LogEntry``) for ``mapping``: who, when, what."""
    actor = user if user is not None and getattr(user, "pk", None) else system_user()
    return LogEntry.objects.create(
        user_id=actor.pk,
        content_type_id=ContentType.objects.get_for_model(CourseBadgeTemplate).pk,
        object_id=str(mapping.pk),
        object_repr=str(mapping)[:200],
        action_flag=action_flag,
        change_message=message,
    )


def _describe(source):
    return dict(CourseBadgeTemplate.SOURCE_CHOICES).get(source, source)


def set_mapping(course_key, template, *, trigger, source, user=None, is_active=True,
                revoke_on_certificate_revoked=False, history=True, rules=None):
    """
    Make ``course_key`` award ``template`` on ``trigger``; returns a ``MappingChange``.

    ``template`` is a ``BadgeTemplate`` or a Credly template ID. There is one mapping per
    course and template (a unique constraint): an existing one is updated, and the
    caller's ``source`` becomes its source. ``rules`` (``min_grade``, ``max_grade``,
    ``modes``, ``expires_in_months``; a missing key means no rule) are set with the rest.
    Two callers racing to create the same mapping end with one row: the loser's insert
    fails on the constraint and it updates the winner's row instead.
    """
    check_trigger(trigger)
    wanted_rules = check_rules(trigger, rules)
    template = check_template(template)
    wanted = {
        "trigger": trigger,
        "is_active": bool(is_active),
        "revoke_on_certificate_revoked": bool(revoke_on_certificate_revoked),
        **wanted_rules,
    }
    nested = transaction.get_connection().in_atomic_block
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                created, changed_fields, mapping = _write(
                    course_key, template, wanted, source, user=user, nested=nested)
                if history and (created or changed_fields):
                    if created:
                        message = _("Added through the %(source)s.") % {"source": _describe(source)}
                    else:
                        message = _("Changed %(fields)s through the %(source)s.") % {
                            "fields": ", ".join(changed_fields), "source": _describe(source)}
                    record_history(mapping, ADDITION if created else CHANGE, message, user)
            break
        except IntegrityError:
            # Lost the race to insert: on MySQL the failed insert left a shared lock on the
            # winner's row until our transaction ends, and locking that row now could
            # deadlock with the other losers; so end the transaction and update afresh.
            if nested or attempt == WRITE_ATTEMPTS:
                raise
    if created or changed_fields:
        log.info("Course %s: badge template %s %s through %s (%s).", course_key, template.template_id,
                 "added" if created else "changed", source, json.dumps(wanted, default=str))
    return MappingChange(mapping=mapping, created=created, changed=bool(changed_fields))


def _write(course_key, template, wanted, source, *, user, nested):
    """Insert or update the mapping in the current transaction: ``(created, changed_fields, mapping)``."""
    mapping = _locked_mapping(course_key, template)
    if mapping is None:
        try:
            with transaction.atomic():
                mapping = CourseBadgeTemplate.objects.create(
                    course_id=course_key, template=template, source=source,
                    created_by=user if getattr(user, "pk", None) else None, **wanted,
                )
            return True, [], mapping
        except IntegrityError:
            if not nested:
                raise
            # Inside the caller's transaction we cannot start afresh: a locking read sees
            # the winner's row even under MySQL's repeatable-read snapshot.
            mapping = CourseBadgeTemplate.objects.select_for_update().filter(
                course_id=course_key, template=template).first()
            if mapping is None:  # pragma: no cover - the constraint named another row
                raise
    changed_fields = [name for name, value in wanted.items() if getattr(mapping, name) != value]
    if changed_fields:
        for name in changed_fields:
            setattr(mapping, name, wanted[name])
        mapping.source = source
        mapping.save(update_fields=changed_fields + ["source", "modified"])
    return False, changed_fields, mapping


def _locked_mapping(course_key, template):
    """
    The existing mapping, locked for this transaction, or None.

    The lock is taken only on a row seen to exist: a locking read of a missing row
    takes a gap lock on MySQL, and two such requests racing to insert would deadlock
    instead of one of them meeting the unique constraint.
    """
    rows = CourseBadgeTemplate.objects.filter(course_id=course_key, template=template)
    if not rows.exists():
        return None
    return rows.select_for_update().first()


def remove_mapping(mapping, *, source, user=None, history=True):
    """Delete ``mapping``, recording who did it and through which path."""
    if history:
        record_history(mapping, DELETION, _("Removed through the %(source)s.") % {"source": _describe(source)}, user)
    log.info("Course %s: badge template %s removed through %s.", mapping.course_id, mapping.template.template_id,
             source)
    mapping.delete()
