"""
What the release ships: one version everywhere, and a tutor-contrib-credly whose sdist and
wheel carry its patches, its templates, its entry point, the licence and the packed widget.
"""
import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from openedx_credly import __version__

REPOSITORY = Path(__file__).resolve().parents[2]
TUTOR_DIR = REPOSITORY / "tutor"
CARRIED_WIDGET = "tutorcredly/templates/mfe/build/mfe/credly/frontend-plugin-badges.tgz"


def test_one_version_for_the_three_packages():
    from tutorcredly.__about__ import __version__ as tutor_plugin_version  # pylint: disable=import-outside-toplevel

    frontend = json.loads((REPOSITORY / "frontend" / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((REPOSITORY / "frontend" / "package-lock.json").read_text(encoding="utf-8"))
    assert tutor_plugin_version == __version__
    assert frontend["version"] == lock["packages"][""]["version"] == __version__
    # The release workflow's check says the same, and refuses a tag of another version.
    version_check = [sys.executable, str(REPOSITORY / ".ci" / "version.py")]
    assert subprocess.run(version_check, capture_output=True, text=True, check=True).stdout == f"{__version__}\n"
    other_tag = subprocess.run(version_check + ["--tag", f"v{__version__}.1"], capture_output=True, text=True,
                               check=False)
    assert other_tag.returncode == 1 and "refusing" in other_tag.stderr


def test_one_licence_for_the_three_packages():
    frontend = json.loads((REPOSITORY / "frontend" / "package.json").read_text(encoding="utf-8"))
    assert frontend["license"] == "AGPL-3.0-only"
    assert 'license = "AGPL-3.0-only"' in (TUTOR_DIR / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license_expression="AGPL-3.0-only"' in (REPOSITORY / "setup.py").read_text(encoding="utf-8")


def _widget_manifest(tarball_bytes):
    with tarfile.open(fileobj=io.BytesIO(tarball_bytes)) as package:
        names = set(package.getnames())
        return json.loads(package.extractfile("package/package.json").read()), names


def test_sdist_and_wheel_carry_patches_templates_licence_and_the_widget(tmp_path):
    """``python -m build`` makes the sdist from the clone, then the wheel from the sdist (no frontend/ there)."""
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "-o", str(tmp_path), str(TUTOR_DIR)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [wheel] = tmp_path.glob("*.whl")
    [sdist] = tmp_path.glob("*.tar.gz")
    assert wheel.name == f"tutor_contrib_credly-{__version__}-py3-none-any.whl"
    with tarfile.open(sdist) as archive:
        assert f"tutor_contrib_credly-{__version__}/{CARRIED_WIDGET}" in archive.getnames()
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"tutor_contrib_credly-{__version__}.dist-info/entry_points.txt").decode()
        metadata = archive.read(f"tutor_contrib_credly-{__version__}.dist-info/METADATA").decode()
        widget = archive.read(CARRIED_WIDGET)
    patches = {path.name for path in (TUTOR_DIR / "tutorcredly" / "patches").iterdir()}
    assert {f"tutorcredly/patches/{name}" for name in patches} <= names
    assert {"tutorcredly/templates/credly/tasks/lms/init", "tutorcredly/templates/credly/mfe-dockerfile-install-widget",
            f"tutor_contrib_credly-{__version__}.dist-info/licenses/LICENSE.txt"} <= names
    assert "[tutor.plugin.v1]\ncredly = tutorcredly.plugin" in entry_points
    assert "License-Expression: AGPL-3.0-only" in metadata
    # The widget as npm packs it: built, licensed, of the same version.
    manifest, widget_names = _widget_manifest(widget)
    assert manifest["name"] == "@openedx-credly/frontend-plugin-badges"
    assert manifest["version"] == __version__
    assert {"package/dist/index.js", "package/LICENSE.txt"} <= widget_names
    assert not any("/src/" in name or name.endswith(".test.jsx") for name in widget_names)
