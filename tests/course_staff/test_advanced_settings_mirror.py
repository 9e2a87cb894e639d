"""Studio's Advanced Settings ("Other Course Settings") mirrored into the course's mapping."""
from datetime import datetime, timezone

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from edx_django_utils.plugins import constants as plugin_constants
from edx_django_utils.plugins.plugin_signals import _iter_plugins, _iter_receivers
from openedx_events.content_authoring.data import CourseCatalogData, CourseScheduleData
from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED

from openedx_credly.course_staff import advanced_settings, cms_receivers
from openedx_credly.models import CourseBadgeTemplate, CredlyErrorLog
from tests.conftest import TEMPLATE_ID
from tests.course_staff.conftest import ARCHIVED_ID

SECOND_ID = "cccccccc-0000-0000-0000-000000000009"


def set_other_settings(course_row, value):
    course_row.other_course_settings = value
    course_row.save()


def publish(course_key):
    """What Studio sends once a course is published."""
    return COURSE_CATALOG_INFO_CHANGED.send_event(catalog_info=CourseCatalogData(
        course_key=course_key, name="Credly 101",
        schedule_data=CourseScheduleData(start=datetime(2026, 1, 1, tzinfo=timezone.utc), pacing="instructor"),
    ))


@pytest.fixture
def studio_receiver():
    """Connect the Studio receivers as edx-platform's CMS does for plugins (the test host is an LMS)."""
    connected = []
    for module, config in _iter_plugins("cms.djangoapp"):
        for signal, receiver, _receiver_config in _iter_receivers(module, config):
            uid = f"test-cms:{receiver.__module__}.{receiver.__name__}"
            if signal is COURSE_CATALOG_INFO_CHANGED:
                signal.connect(receiver, dispatch_uid=uid)
                connected.append((signal, uid))
    assert connected, "no Studio receiver of COURSE_CATALOG_INFO_CHANGED is configured"
    yield
    for signal, uid in connected:
        signal.disconnect(dispatch_uid=uid)


@pytest.fixture
def second_template(organization):
    from openedx_credly.models import BadgeTemplate  # pylint: disable=import-outside-toplevel

    return BadgeTemplate.objects.create(organization=organization, template_id=SECOND_ID, name="Second badge")


def test_publishing_in_studio_mirrors_the_setting(studio_receiver, course_row, course_key, template):
    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID, "trigger": "passing"}})

    publish(course_key)

    mapping = CourseBadgeTemplate.objects.get()
    assert (mapping.course_id, mapping.template, mapping.trigger) == (course_key, template, "passing")
    assert mapping.source == CourseBadgeTemplate.SOURCE_ADVANCED_SETTINGS
    entry = LogEntry.objects.get(object_id=str(mapping.pk))
    assert entry.action_flag == ADDITION
    assert "Studio Advanced Settings" in entry.change_message
    assert entry.user.username == "openedx_credly_system" and not entry.user.is_active


def test_trigger_defaults_to_certificate_and_publishing_again_changes_nothing(course_row, course_key, template):
    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID}, "other": "kept"})

    first = advanced_settings.mirror_course(course_key)
    second = advanced_settings.mirror_course(course_key)

    assert (first.added, second.added, second.unchanged) == ([TEMPLATE_ID], [], [TEMPLATE_ID])
    assert CourseBadgeTemplate.objects.get().trigger == "certificate"
    assert LogEntry.objects.count() == 1


def test_removing_the_key_removes_only_the_advanced_settings_mapping(course_row, course_key, template,
                                                                     second_template):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=second_template, source="api")
    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID}})
    advanced_settings.mirror_course(course_key)
    mirrored_pk = CourseBadgeTemplate.objects.get(template=template).pk

    set_other_settings(course_row, {"something_else": 1})
    result = advanced_settings.mirror_course(course_key)

    assert result.removed == [TEMPLATE_ID]
    assert list(CourseBadgeTemplate.objects.values_list("template__template_id", "source")) == [(SECOND_ID, "api")]
    assert LogEntry.objects.filter(object_id=str(mirrored_pk), action_flag=DELETION).exists()


def test_switching_template_replaces_the_mirrored_mapping(course_row, course_key, template, second_template):
    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID}})
    advanced_settings.mirror_course(course_key)

    set_other_settings(course_row, {"credly": {"badge_template_id": SECOND_ID, "trigger": "certificate",
                                               "revoke_on_certificate_revoked": True}})
    result = advanced_settings.mirror_course(course_key)

    assert (result.added, result.removed) == ([SECOND_ID], [TEMPLATE_ID])
    mapping = CourseBadgeTemplate.objects.get()
    assert mapping.template == second_template and mapping.revoke_on_certificate_revoked is True


def test_a_list_maps_several_templates(course_row, course_key, template, second_template):
    set_other_settings(course_row, {"credly": [{"badge_template_id": TEMPLATE_ID, "trigger": "passing"},
                                               {"badge_template_id": SECOND_ID}]})

    advanced_settings.mirror_course(course_key)

    assert dict(CourseBadgeTemplate.objects.values_list("template__template_id", "trigger")) == {
        TEMPLATE_ID: "passing", SECOND_ID: "certificate"}


def test_a_mapping_made_elsewhere_keeps_its_source_when_the_setting_agrees(course_row, course_key, mapping):
    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID, "trigger": "certificate"}})
    advanced_settings.mirror_course(course_key)
    set_other_settings(course_row, {})

    advanced_settings.mirror_course(course_key)

    mapping.refresh_from_db()
    assert mapping.source == CourseBadgeTemplate.SOURCE_ADMIN


def test_unknown_template_is_logged_clearly_once(studio_receiver, course_row, course_key, organization, caplog):
    set_other_settings(course_row, {"credly": {"badge_template_id": "no-such-template"}})

    publish(course_key)
    publish(course_key)

    assert not CourseBadgeTemplate.objects.exists()
    entry = CredlyErrorLog.objects.get()
    assert entry.kind == CredlyErrorLog.KIND_CONFIGURATION
    assert entry.organization == organization
    assert str(course_key) in entry.details and "no-such-template" in entry.details
    assert "Advanced Settings" in entry.details
    assert "no-such-template" in caplog.text


def test_archived_template_is_logged_for_its_organization(course_row, course_key, archived_template, organization):
    set_other_settings(course_row, {"credly": {"badge_template_id": ARCHIVED_ID}})

    result = advanced_settings.mirror_course(course_key)

    assert result.errors and "archived" in result.errors[0]
    assert CredlyErrorLog.objects.get().organization == organization
    assert not CourseBadgeTemplate.objects.exists()


@pytest.mark.parametrize("value", [
    "just text",
    {"badge_template_id": 42},
    {"badge_template": TEMPLATE_ID},
    {"badge_template_id": TEMPLATE_ID, "revoke_on_certificate_revoked": "yes"},
])
def test_a_malformed_entry_changes_nothing_and_is_logged(course_row, course_key, template, organization, value):
    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID}})
    advanced_settings.mirror_course(course_key)

    set_other_settings(course_row, {"credly": value})
    result = advanced_settings.mirror_course(course_key)

    assert result.errors
    assert CourseBadgeTemplate.objects.count() == 1  # a typo never takes the badge away
    assert CredlyErrorLog.objects.filter(kind=CredlyErrorLog.KIND_CONFIGURATION).count() == 1


def test_bad_trigger_is_logged(course_row, course_key, template):
    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID, "trigger": "enrolled"}})

    result = advanced_settings.mirror_course(course_key)

    assert "not a trigger" in result.errors[0]
    assert not CourseBadgeTemplate.objects.exists()
    assert CredlyErrorLog.objects.get().kind == CredlyErrorLog.KIND_CONFIGURATION


def test_the_receiver_never_raises(course_key, monkeypatch):
    def broken(_course_key):
        raise RuntimeError("modulestore is down")

    monkeypatch.setattr(advanced_settings, "mirror_course", broken)

    advanced_settings.on_course_catalog_info_changed(None, None, catalog_info=CourseCatalogData(
        course_key=course_key, name="x",
        schedule_data=CourseScheduleData(start=datetime(2026, 1, 1, tzinfo=timezone.utc), pacing="self"),
    ))


def test_studio_keeps_the_learning_receivers_and_adds_its_own():
    config = apps.get_app_config("openedx_credly").plugin_app[plugin_constants.PluginSignals.CONFIG]
    lms = {entry["receiver_func_name"] for entry in config["lms.djangoapp"]["receivers"]}
    cms = {entry["receiver_func_name"] for entry in config["cms.djangoapp"]["receivers"]}

    assert cms == lms | {"on_course_catalog_info_changed"}
    assert "on_course_catalog_info_changed" not in lms
    for name in cms:  # every receiver Studio names resolves in its module
        assert callable(getattr(cms_receivers, name))


def test_mirror_command_for_one_course(course_row, course_key, template, capsys):
    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID}})

    call_command("credly_mirror_course_settings", "--course", str(course_key))

    assert CourseBadgeTemplate.objects.get().source == "advanced_settings"
    assert "1 added" in capsys.readouterr().out


def test_mirror_command_for_every_course_reports_errors(course_row, course_key, template, organization):
    from opaque_keys.edx.keys import CourseKey  # pylint: disable=import-outside-toplevel

    from devhost.standin.models import Course  # pylint: disable=import-outside-toplevel

    set_other_settings(course_row, {"credly": {"badge_template_id": TEMPLATE_ID}})
    Course.objects.create(course_id=CourseKey.from_string("course-v1:X+BAD+1"),
                          other_course_settings={"credly": {"badge_template_id": "missing"}})

    with pytest.raises(CommandError, match="1 Advanced Settings badge"):
        call_command("credly_mirror_course_settings")

    assert CourseBadgeTemplate.objects.count() == 1
