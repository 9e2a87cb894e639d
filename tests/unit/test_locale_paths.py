"""The plugin's catalogues (``openedx_credly/conf/locale``) reach Django through LOCALE_PATHS."""
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings

from openedx_credly.settings import common


def test_the_host_finds_the_catalogues_in_conf_locale():
    assert common.LOCALE_PATH in settings.LOCALE_PATHS
    assert (Path(common.LOCALE_PATH) / "fr" / "LC_MESSAGES" / "django.mo").is_file()
    assert not (Path(common.LOCALE_PATH).parent.parent / "locale").exists()  # one tree only


def test_the_platform_paths_come_first_and_ours_once():
    host = SimpleNamespace(LOCALE_PATHS=["/edx-platform/conf/locale"])
    common.plugin_settings(host)
    common.plugin_settings(host)
    assert host.LOCALE_PATHS == ["/edx-platform/conf/locale", common.LOCALE_PATH]


class Derived:
    """Stands for edx-platform's ``Derived``: a setting calculated once every module has loaded."""

    def __init__(self, calculate_value):
        self.calculate_value = calculate_value


def test_a_derived_locale_paths_setting_is_extended_not_replaced():
    host = SimpleNamespace(LOCALE_PATHS=Derived(lambda platform: [platform.REPO_ROOT + "/conf/locale"]))
    common.plugin_settings(host)
    assert isinstance(host.LOCALE_PATHS, Derived)
    assert host.LOCALE_PATHS.calculate_value(SimpleNamespace(REPO_ROOT="/edx")) == ["/edx/conf/locale",
                                                                                    common.LOCALE_PATH]
