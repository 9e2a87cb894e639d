"""
Tutor environments rendered with the tutor-contrib-credly plugin, in temporary TUTOR_ROOTs.

Tutor runs in a child process (its hooks are process-wide, so each environment gets a
fresh interpreter), exactly as an operator runs it: ``tutor plugins enable`` and
``tutor config save``. Nothing needs Docker.
"""
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_service

TUTOR_MAIN = "import sys; from tutor.commands.cli import main; sys.exit(main())"
REPOSITORY = Path(__file__).resolve().parents[2]


class TutorEnv:
    """A rendered Tutor root: ``env/`` files, parsed on demand."""

    def __init__(self, root):
        self.root = Path(root)
        self.env = self.root / "env"

    def text(self, relative_path):
        """A rendered file's text."""
        return (self.env / relative_path).read_text(encoding="utf-8")

    def yaml(self, relative_path):
        """A rendered YAML file (anchors and merge keys resolved)."""
        return yaml.safe_load(self.text(relative_path))

    def yaml_documents(self, relative_path):
        """Every document of a multi-document YAML file (Kubernetes manifests)."""
        return [doc for doc in yaml.safe_load_all(self.text(relative_path)) if doc]

    def config(self):
        """The saved Tutor configuration (``config.yml``)."""
        return yaml.safe_load((self.root / "config.yml").read_text(encoding="utf-8"))


def run_tutor(root, *args):
    """Run the ``tutor`` command line with ``root`` as TUTOR_ROOT; fail with its output."""
    env = dict(os.environ, TUTOR_ROOT=str(root), TUTOR_PLUGINS_ROOT=str(Path(root) / "plugins"))
    result = subprocess.run(
        [sys.executable, "-c", TUTOR_MAIN, *args], env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, f"tutor {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def run_env_config_js(tutor_env, tmp_path, app_id, stand_ins, runner, *args, node_env="production"):
    """
    Run the rendered ``env.config.jsx`` as the MFE ``app_id`` runs it, with ``stand_ins``
    (``{package: CommonJS source}``) as its only ``node_modules``; ``runner`` (an ES module
    that imports ``./env.config.mjs``) prints JSON, which is returned.
    """
    node = shutil.which("node")
    require_service(node, "Node.js is not installed")
    shutil.copy(tutor_env.env / "plugins/mfe/build/mfe/env.config.jsx", tmp_path / "env.config.mjs")
    for package, source in stand_ins.items():
        package_dir = tmp_path / "node_modules" / package
        package_dir.mkdir(parents=True)
        (package_dir / "package.json").write_text(json.dumps({"name": package, "main": "index.js"}))
        (package_dir / "index.js").write_text(source)
    (tmp_path / "run.mjs").write_text(runner)
    result = subprocess.run(
        [node, "run.mjs", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "APP_ID": app_id, "NODE_ENV": node_env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _require_plugin():
    names = {entry_point.name for entry_point in metadata.entry_points(group="tutor.plugin.v1")}
    if "credly" not in names or "mfe" not in names:
        pytest.fail(
            "tutor-contrib-credly (./tutor) and tutor-mfe must be installed in the test virtualenv: "
            "`make requirements` installs them."
        )


def render(root, plugins, settings=()):
    """Save the configuration of a new TUTOR_ROOT with ``plugins`` enabled and ``settings`` (``KEY=value``)."""
    _require_plugin()
    # A config.yml that names its plugins, as `tutor plugins enable` writes it.
    (Path(root) / "config.yml").write_text(yaml.safe_dump({"PLUGINS": list(plugins)}), encoding="utf-8")
    set_args = [arg for setting in settings for arg in ("--set", setting)]
    run_tutor(root, "config", "save", *set_args)
    return TutorEnv(root)


@pytest.fixture(scope="session")
def tutor_with_mfe(tmp_path_factory):
    """credly and mfe enabled, every value at its default."""
    return render(tmp_path_factory.mktemp("tutor-mfe"), ["credly", "mfe"])


@pytest.fixture(scope="session")
def tutor_without_mfe(tmp_path_factory):
    """credly alone, with operator values and the dedicated worker."""
    return render(
        tmp_path_factory.mktemp("tutor-plain"),
        ["credly"],
        [
            "CREDLY_REQUEST_TIMEOUT=20",
            "CREDLY_SUPPRESS_BADGE_NOTIFICATION_EMAIL=true",
            "CREDLY_API_BASE_URL=https://credly.example.test/v1/",
            "CREDLY_PREVIOUS_ENCRYPTION_KEYS=[\"an-older-key\"]",
            "CREDLY_PROFILE_FRAME_ANCESTORS=[\"https://profile.example.test\"]",
            "CREDLY_RUN_WORKER=true",
            "CREDLY_PIP_PACKAGE=git+https://git.example.test/openedx-credly.git@main",
        ],
    )


@pytest.fixture(scope="session")
def tutor_with_iframe(tmp_path_factory):
    """credly and mfe enabled, the framed page instead of the npm widget."""
    return render(tmp_path_factory.mktemp("tutor-iframe"), ["credly", "mfe"], ["CREDLY_MFE_WIDGET=false"])


@pytest.fixture(scope="session")
def tutor_from_clone(tmp_path_factory):
    """
    credly and mfe enabled, after ``tutor mounts add /path/to/openedx-credly`` of this clone.

    The mount is a link named ``openedx-credly`` to the repository: Tutor matches mounts by
    folder name, and an operator's clone has that name.
    """
    clone = tmp_path_factory.mktemp("clone") / "openedx-credly"
    clone.symlink_to(REPOSITORY, target_is_directory=True)
    tutor_env = render(tmp_path_factory.mktemp("tutor-clone"), ["credly", "mfe"])
    run_tutor(tutor_env.root, "mounts", "add", str(clone))
    return tutor_env
