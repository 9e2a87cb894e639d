"""
Build steps of tutor-contrib-credly that pyproject.toml cannot state: the packed widget.

The Tutor plugin carries ``npm pack`` of the widget (``../frontend``) as package data, so
that the mfe image installs it with nothing from a registry. It is packed whenever the
package is built from a clone (wheel, sdist, editable install); a build from the sdist,
which has no ``frontend/`` beside it, uses the tarball the sdist carries.
``python setup.py`` is never run by hand: ``make widget_tarball`` packs it alone.
"""
import shutil
import subprocess
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
FRONTEND = HERE.parent / "frontend"
# Under "mfe/build/mfe/", which tutor-mfe renders into the mfe image's build context.
WIDGET_TARBALL = HERE / "tutorcredly" / "templates" / "mfe" / "build" / "mfe" / "credly" / "frontend-plugin-badges.tgz"


def pack_widget():
    """Pack ``../frontend`` into WIDGET_TARBALL (built by the package's ``prepare`` script)."""
    if not (FRONTEND / "package.json").is_file():
        if WIDGET_TARBALL.is_file():
            return  # a build from the sdist: the tarball came with it
        raise RuntimeError(f"{WIDGET_TARBALL} is missing and there is no widget source ({FRONTEND}) to pack it from")
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "tutor-contrib-credly built from a clone packs the widget with npm: install Node.js 20 or newer, "
            "or install the released tutor-contrib-credly from PyPI"
        )
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    with tempfile.TemporaryDirectory() as destination:
        # stdout carries the build's own output; the tarball's name is read from the folder.
        subprocess.run([npm, "pack", "--pack-destination", destination], cwd=FRONTEND, check=True,
                       stdout=subprocess.DEVNULL)
        [packed] = Path(destination).glob("*.tgz")
        WIDGET_TARBALL.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(packed, WIDGET_TARBALL)


class BuildPyWithWidget(build_py):
    """build_py (wheels and editable installs) with the widget packed first."""

    def run(self):
        pack_widget()
        super().run()


class SdistWithWidget(sdist):
    """sdist with the widget packed first, so that a build from the sdist needs no Node."""

    def run(self):
        pack_widget()
        super().run()


if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildPyWithWidget, "sdist": SdistWithWidget})
