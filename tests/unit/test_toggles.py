"""The kill switch of issuing, and the OEP-17 annotations of every CREDLY_* setting."""
import os
import re
import subprocess
import sys
from pathlib import Path

from openedx_credly.awarding import toggles
from openedx_credly.models import IssuedBadge
from openedx_credly.settings import common
from tests.conftest import send_certificate

ROOT = Path(__file__).resolve().parents[2]


def test_issuing_is_enabled_by_default(settings):
    assert settings.CREDLY_ISSUING_ENABLED is True
    assert toggles.is_issuing_enabled()


def test_with_the_kill_switch_off_an_event_earns_nothing(settings, mapping, learner, course_key):
    settings.CREDLY_ISSUING_ENABLED = False
    send_certificate(learner, course_key)
    assert not IssuedBadge.objects.exists()
    settings.CREDLY_ISSUING_ENABLED = True
    send_certificate(learner, course_key)
    assert IssuedBadge.objects.filter(user=learner).count() == 1


def test_every_setting_is_annotated():
    source = Path(common.__file__).read_text(encoding="utf-8")
    annotated = set(re.findall(r"# \.\. (?:setting|toggle)_name: (CREDLY_\w+)", source))
    assert annotated == set(common.DEFAULTS)


def test_the_annotations_pass_code_annotations_lint():
    annotations = Path(sys.executable).with_name("code_annotations")
    result = subprocess.run(
        [str(annotations), "static_find_annotations", "--config_file", ".annotations", "--lint", "--no_report"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Linting passed without errors." in result.stdout
