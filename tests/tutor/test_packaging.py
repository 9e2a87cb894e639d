"""The tutor-contrib-credly wheel: its patches, its init task and its entry point travel with it."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from openedx_credly import __version__

TUTOR_DIR = Path(__file__).resolve().parents[2] / "tutor"


def test_wheel_carries_patches_templates_and_entry_point(tmp_path):
    source = shutil.copytree(TUTOR_DIR, tmp_path / "src", ignore=shutil.ignore_patterns("*.egg-info", "build"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(source),
         "-w", str(tmp_path / "dist")],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [wheel] = (tmp_path / "dist").glob("*.whl")
    assert wheel.name == f"tutor_contrib_credly-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"tutor_contrib_credly-{__version__}.dist-info/entry_points.txt").decode()
    patches = {path.name for path in (TUTOR_DIR / "tutorcredly" / "patches").iterdir()}
    assert {f"tutorcredly/patches/{name}" for name in patches} <= names
    assert "tutorcredly/templates/credly/tasks/lms/init" in names
    assert "[tutor.plugin.v1]\ncredly = tutorcredly.plugin" in entry_points
