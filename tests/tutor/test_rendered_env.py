"""
What ``tutor config save`` renders with the credly plugin: the image, the settings, Celery
beat (compose and Kubernetes), the dedicated worker and the profile MFE.
"""
import ast
import importlib
import re
import types
from pathlib import Path

import pytest

from openedx_credly import __version__
from openedx_credly.settings import common, production

BEAT_COMMAND = [
    "celery", "--app=lms.celery", "beat", "--loglevel=info", "--schedule=/openedx/data/celerybeat-schedule",
]
PROFILE_SLOT = "org.openedx.frontend.profile.additional_profile_fields.v1"
SETTINGS_FILES = [
    "apps/openedx/settings/lms/production.py",
    "apps/openedx/settings/lms/development.py",
    "apps/openedx/settings/cms/production.py",
    "apps/openedx/settings/cms/development.py",
]


def credly_settings(tutor_env, relative_path):
    """
    Execute the credly lines of a rendered settings file after the plugin's own settings.

    The file must compile as a whole. Its statements that touch ``CREDLY_*`` (or the
    plugin's loop over the beat schedule) then run on a settings object that the
    plugin's ``common`` and ``production`` settings already filled, which is the order in
    which the platform runs them: ``lms.envs.production`` loads the plugins, then Tutor's
    file adds its patches.
    """
    source = tutor_env.text(relative_path)
    tree = ast.parse(compile(source, relative_path, "exec", flags=ast.PyCF_ONLY_AST))
    ours = [node for node in tree.body if "CREDLY_" in ast.get_source_segment(source, node)
            or "_credly" in ast.get_source_segment(source, node)]
    assert ours, f"no credly settings in {relative_path}"
    settings = types.SimpleNamespace()
    settings.ENV_TOKENS = {}
    settings.AUTH_TOKENS = {}
    common.plugin_settings(settings)
    production.plugin_settings(settings)
    code = compile(ast.Module(body=ours, type_ignores=[]), relative_path, "exec")
    exec(code, vars(settings))  # pylint: disable=exec-used
    return settings


# ---------------------------------------------------------------- image


def test_openedx_image_installs_the_pinned_package(tutor_with_mfe):
    dockerfile = tutor_with_mfe.text("build/openedx/Dockerfile")
    assert f"$PIP_COMMAND install 'openedx-credly=={__version__}'" in dockerfile
    # After edx-platform's requirements, so that theirs do not replace ours.
    assert dockerfile.index("openedx-credly==") > dockerfile.index("requirements/edx/base.txt")


def test_pip_package_is_configurable(tutor_without_mfe):
    dockerfile = tutor_without_mfe.text("build/openedx/Dockerfile")
    assert "$PIP_COMMAND install 'git+https://git.example.test/openedx-credly.git@main'" in dockerfile
    assert "openedx-credly==" not in dockerfile


def test_plugin_version_is_the_package_version():
    from tutorcredly.__about__ import __version__ as tutor_plugin_version  # pylint: disable=import-outside-toplevel

    assert tutor_plugin_version == __version__


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize("relative_path", SETTINGS_FILES)
def test_defaults_are_the_plugin_defaults(tutor_with_mfe, relative_path):
    """Tutor's defaults and the plugin's own never drift apart."""
    settings = credly_settings(tutor_with_mfe, relative_path)
    source = tutor_with_mfe.text(relative_path)
    set_by_tutor = [name for name in common.DEFAULTS if f"\n{name} = " in source]
    assert len(set_by_tutor) >= 15
    for name in set_by_tutor:
        if name in ("CREDLY_ENCRYPTION_KEYS", "CREDLY_PROFILE_FRAME_ANCESTORS"):
            continue
        assert getattr(settings, name) == common.DEFAULTS[name], name


@pytest.mark.parametrize("relative_path", SETTINGS_FILES)
def test_operator_values_reach_lms_and_cms(tutor_without_mfe, relative_path):
    settings = credly_settings(tutor_without_mfe, relative_path)
    assert settings.CREDLY_REQUEST_TIMEOUT == 20
    assert settings.CREDLY_SUPPRESS_BADGE_NOTIFICATION_EMAIL is True
    assert settings.CREDLY_API_BASE_URL == "https://credly.example.test/v1/"
    assert settings.CREDLY_SANDBOX_API_BASE_URL == common.DEFAULTS["CREDLY_SANDBOX_API_BASE_URL"]
    # Without tutor-mfe, only the operator's own origins may frame the page.
    assert settings.CREDLY_PROFILE_FRAME_ANCESTORS == ["https://profile.example.test"]
    # The dedicated worker gets its queue, and the periodic tasks are sent there too.
    assert settings.CREDLY_CELERY_QUEUE == "edx.lms.core.credly"
    for schedule in (settings.CELERYBEAT_SCHEDULE, settings.CELERY_BEAT_SCHEDULE):
        for name in common.PERIODIC_TASKS:
            assert schedule[name]["options"] == {"queue": "edx.lms.core.credly"}


def test_encryption_key_is_a_generated_tutor_secret(tutor_with_mfe, tutor_without_mfe, settings):
    """Credentials stay readable when SECRET_KEY changes, and each platform has its own key."""
    key = tutor_with_mfe.config()["CREDLY_ENCRYPTION_KEY"]
    assert len(key) >= 32
    assert key != tutor_without_mfe.config()["CREDLY_ENCRYPTION_KEY"]
    lms = credly_settings(tutor_with_mfe, "apps/openedx/settings/lms/production.py")
    cms = credly_settings(tutor_with_mfe, "apps/openedx/settings/cms/production.py")
    assert lms.CREDLY_ENCRYPTION_KEYS == cms.CREDLY_ENCRYPTION_KEYS == [key]
    assert credly_settings(tutor_without_mfe, "apps/openedx/settings/lms/production.py").CREDLY_ENCRYPTION_KEYS[1:] \
        == ["an-older-key"]

    from openedx_credly import crypto  # pylint: disable=import-outside-toplevel

    settings.CREDLY_ENCRYPTION_KEYS = lms.CREDLY_ENCRYPTION_KEYS
    stored = crypto.encrypt("credly-token")
    settings.SECRET_KEY = "a-rotated-django-secret-key"
    assert crypto.decrypt(stored) == "credly-token"


def test_profile_mfe_origin_may_frame_the_badges_page(tutor_with_mfe):
    lms_production = credly_settings(tutor_with_mfe, "apps/openedx/settings/lms/production.py")
    lms_development = credly_settings(tutor_with_mfe, "apps/openedx/settings/lms/development.py")
    mfe_host = tutor_with_mfe.config().get("MFE_HOST", "apps.local.openedx.io")
    assert lms_production.CREDLY_PROFILE_FRAME_ANCESTORS == [f"http://{mfe_host}"]
    assert lms_development.CREDLY_PROFILE_FRAME_ANCESTORS == [f"http://{mfe_host}:1995"]
    assert credly_settings(tutor_with_mfe, "apps/openedx/settings/cms/production.py").CREDLY_PROFILE_FRAME_ANCESTORS \
        == []
    # No dedicated worker: the platform's default queue, and beat sends there too.
    assert lms_production.CREDLY_CELERY_QUEUE is None
    assert "options" not in lms_production.CELERYBEAT_SCHEDULE["openedx-credly-process-queue"]


# ---------------------------------------------------------------- Celery beat


@pytest.mark.parametrize("fixture_name", ["tutor_with_mfe", "tutor_without_mfe"])
def test_beat_service_in_local_compose(request, fixture_name):
    tutor_env = request.getfixturevalue(fixture_name)
    services = tutor_env.yaml("local/docker-compose.yml")["services"]
    beat = services["credly-beat"]
    assert beat["command"] == BEAT_COMMAND
    assert beat["deploy"]["replicas"] == 1
    assert beat["image"] == tutor_env.config().get("DOCKER_IMAGE_OPENEDX", services["lms"]["image"])
    assert beat["environment"] == {"SERVICE_VARIANT": "lms", "DJANGO_SETTINGS_MODULE": "lms.envs.tutor.production"}
    # The schedule state lives on the service's own volume, whose owner the permissions job sets.
    assert "../../data/credly-beat:/openedx/data:z" in beat["volumes"]
    assert "../../data/credly-beat:/mounts/credly-beat:z" in services["permissions"]["volumes"]
    assert "setowner $OPENEDX_USER_ID /mounts/credly-beat" in tutor_env.text("apps/permissions/setowners.sh")
    # The same settings as the LMS worker.
    for volume in services["lms"]["volumes"]:
        if "/settings/" in volume or volume.endswith("/openedx/config:roz"):
            assert volume in beat["volumes"]


@pytest.mark.parametrize("fixture_name", ["tutor_with_mfe", "tutor_without_mfe"])
def test_beat_runs_the_lms_celery_app_like_tutors_worker(request, fixture_name):
    tutor_env = request.getfixturevalue(fixture_name)
    worker = tutor_env.yaml("local/docker-compose.prod.yml")["services"]["lms-worker"]
    assert worker["command"][:3] == ["celery", "--app=lms.celery", "worker"]
    assert BEAT_COMMAND[:2] == worker["command"][:2]
    assert "-B" not in worker["command"] and "--beat" not in worker["command"]


def test_beat_service_in_dev_compose(tutor_with_mfe):
    services = tutor_with_mfe.yaml("dev/docker-compose.yml")["services"]
    beat = services["credly-beat"]
    assert beat["environment"]["DJANGO_SETTINGS_MODULE"] == "lms.envs.tutor.development"
    assert beat["image"] == services["lms"]["image"]  # the development image
    assert "replicas" not in beat.get("deploy", {})  # the single replica of local/ stands
    assert "credly-beat" in tutor_with_mfe.yaml("local/docker-compose.yml")["services"]


def _deployment(tutor_env, name):
    documents = tutor_env.yaml_documents("k8s/deployments.yml")
    found = [doc for doc in documents if doc["kind"] == "Deployment" and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} Deployment(s) named {name}"
    return found[0]


@pytest.mark.parametrize("fixture_name", ["tutor_with_mfe", "tutor_without_mfe"])
def test_beat_deployment_on_kubernetes(request, fixture_name):
    tutor_env = request.getfixturevalue(fixture_name)
    beat = _deployment(tutor_env, "credly-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    container = beat["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == BEAT_COMMAND
    assert {"mountPath": "/openedx/data", "name": "data"} in container["volumeMounts"]
    volumes = {volume["name"]: volume for volume in beat["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == "credly-beat"
    claims = [doc for doc in tutor_env.yaml_documents("k8s/volumes.yml") if doc["kind"] == "PersistentVolumeClaim"]
    assert "credly-beat" in [claim["metadata"]["name"] for claim in claims]


def test_beat_can_be_left_to_the_sites_own(tmp_path):
    from tests.tutor.conftest import render  # pylint: disable=import-outside-toplevel

    tutor_env = render(tmp_path, ["credly"], ["CREDLY_RUN_BEAT=false"])
    assert "credly-beat" not in tutor_env.yaml("local/docker-compose.yml")["services"]
    assert "credly-beat" not in tutor_env.text("k8s/deployments.yml")
    assert "credly-beat" not in tutor_env.text("k8s/volumes.yml")


# ---------------------------------------------------------------- dedicated worker


def test_dedicated_worker_only_when_asked(tutor_with_mfe, tutor_without_mfe):
    assert "credly-worker" not in tutor_with_mfe.yaml("local/docker-compose.prod.yml")["services"]
    worker = tutor_without_mfe.yaml("local/docker-compose.prod.yml")["services"]["credly-worker"]
    assert worker["command"][:3] == ["celery", "--app=lms.celery", "worker"]
    assert "--queues=edx.lms.core.credly" in worker["command"]
    k8s_worker = _deployment(tutor_without_mfe, "credly-worker")
    assert "--queues=edx.lms.core.credly" in k8s_worker["spec"]["template"]["spec"]["containers"][0]["args"]


# ---------------------------------------------------------------- profile MFE


def test_profile_mfe_gets_the_widget(tutor_with_mfe):
    env_config = tutor_with_mfe.text("plugins/mfe/build/mfe/env.config.jsx")
    profile_block = env_config.split("if (process.env.APP_ID == 'profile') {", 1)[1].split("\n    }", 1)[0]
    assert "await import('@openedx-credly/frontend-plugin-badges')" in profile_block
    assert "RenderWidget: CredlyBadgesEarned" in profile_block
    assert f"addPlugins(config, '{PROFILE_SLOT}', [credlyBadgesWidget]);" in profile_block
    # No other MFE gets it.
    assert env_config.count("credlyBadgesWidget") == profile_block.count("credlyBadgesWidget")
    # The install step (tests/tutor/test_build_context.py) in the profile's stage, and in no other.
    dockerfile = tutor_with_mfe.text("plugins/mfe/build/mfe/Dockerfile")
    install = "npm install --no-audit --no-fund --registry=$NPM_REGISTRY /openedx/credly/frontend-plugin-badges.tgz"
    profile_stage = dockerfile.split("FROM base AS profile-common", 1)[1].split("FROM ", 1)[0]
    assert install in profile_stage
    assert profile_stage.count(install) == 1


def test_profile_mfe_frames_the_page_without_the_widget(tutor_with_iframe):
    env_config = tutor_with_iframe.text("plugins/mfe/build/mfe/env.config.jsx")
    assert "type: IFRAME_PLUGIN" in env_config
    assert "/credly/profile/badges/?username=" in env_config
    assert "iframe[title=\"Badges Earned\"] { height: 300px; }" in env_config
    profile_block = env_config.split("if (process.env.APP_ID == 'profile') {", 1)[1].split("\n    }", 1)[0]
    assert "frontend-plugin-badges" not in profile_block
    dockerfile = tutor_with_iframe.text("plugins/mfe/build/mfe/Dockerfile")
    # The learning MFE still installs the package, for its Course badges (CREDLY_COURSE_WIDGET).
    assert "frontend-plugin-badges" not in dockerfile.split("FROM base AS profile-common", 1)[1].split("FROM ", 1)[0]


def test_without_tutor_mfe_nothing_of_the_mfe(tutor_without_mfe):
    assert not (tutor_without_mfe.env / "plugins" / "mfe").exists()
    assert "mfe" not in tutor_without_mfe.yaml("local/docker-compose.yml")["services"]
    assert "credly-beat" in tutor_without_mfe.yaml("local/docker-compose.yml")["services"]


# ---------------------------------------------------------------- patch names


def _patch_names_in(package):
    """The patch names a package's templates call: ``patch("name")`` and ``patch("prefix-{}".format(mfe))``."""
    root = Path(importlib.import_module(package).__file__).parent / "templates"
    names, prefixes = set(), set()
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="ignore")
            names.update(re.findall(r'patch\("([^"{}]+)"\)', text))
            prefixes.update(re.findall(r'patch\("([^"]+)-\{\}"\.format\(', text))
    return names, prefixes


def test_every_patch_is_one_tutor_or_tutor_mfe_renders():
    from tutorcredly import plugin  # pylint: disable=import-outside-toplevel

    names, prefixes = set(), set()
    for package in ("tutor", "tutormfe"):
        package_names, package_prefixes = _patch_names_in(package)
        names |= package_names
        prefixes |= package_prefixes
    ours = sorted(path.name for path in (Path(plugin.__file__).parent / "patches").iterdir())
    assert len(ours) >= 10
    for name in ours:
        assert name in names or any(name == f"{prefix}-{mfe}" for prefix in prefixes
                                    for mfe in ("profile", "learning")), name
