"""
The rendered Dockerfiles can be built with nothing published: every ``COPY`` names a file
of its build context (or a stage, an image, a mounted clone), and no ``pip install`` or
``npm install`` asks a registry for a package of ours unless the configuration says so.
"""
import re
import shlex

import jinja2
import pytest

from tests.tutor.conftest import render

OPENEDX = ("build/openedx/Dockerfile", "build/openedx")
MFE = ("plugins/mfe/build/mfe/Dockerfile", "plugins/mfe/build/mfe")
OUR_PACKAGES = ("openedx-credly", "tutor-contrib-credly", "@openedx-credly/")
CARRIED_TARBALL = "credly/frontend-plugin-badges.tgz"


def instructions(dockerfile):
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def stage_names(dockerfile):
    return set(re.findall(r"^FROM \S+ AS (\S+)", dockerfile, re.M))


def copy_problems(tutor_env, dockerfile_path, context_path, mounted=()):
    """What each COPY of a rendered Dockerfile would miss: sources absent from the context, unknown stages."""
    dockerfile = tutor_env.text(dockerfile_path)
    context = tutor_env.env / context_path
    stages = stage_names(dockerfile)
    problems, copies = [], 0
    for line in instructions(dockerfile):
        if not line.startswith(("COPY ", "ADD ")) or line.startswith("ADD "):
            continue
        copies += 1
        words = shlex.split(line)[1:]
        flags = dict(word[2:].split("=", 1) for word in words if word.startswith("--") and "=" in word)
        sources = [word for word in words if not word.startswith("--")][:-1]
        origin = flags.get("from")
        if origin is None:
            problems += [f"{line}: {source} is not in {context_path}" for source in sources
                         if not list(context.glob(source.lstrip("./") or "."))]
        elif origin.startswith("mnt-"):
            # A named build context: the mounted folder, which Tutor passes to docker build.
            if origin[4:] not in mounted:
                problems.append(f"{line}: {origin} is no mounted folder")
        elif origin not in stages and "/" not in origin and ":" not in origin:
            problems.append(f"{line}: no stage {origin}")
    assert copies >= 3, f"{dockerfile_path}: only {copies} COPY lines"
    return problems


def installs_of_ours(tutor_env, dockerfile_path):
    """The pip and npm install lines that name one of our packages (by name or path)."""
    return [line for line in instructions(tutor_env.text(dockerfile_path))
            if re.search(r"\b(pip|PIP_COMMAND|npm) install\b", line)
            and any(package in line for package in OUR_PACKAGES + ("frontend-plugin-badges",))]


@pytest.mark.parametrize("fixture_name", ["tutor_with_mfe", "tutor_from_clone"])
@pytest.mark.parametrize("dockerfile_path, context_path", [OPENEDX, MFE])
def test_every_copy_names_something_that_exists(request, fixture_name, dockerfile_path, context_path):
    tutor_env = request.getfixturevalue(fixture_name)
    mounted = ("openedx-credly",) if fixture_name == "tutor_from_clone" else ()
    assert copy_problems(tutor_env, dockerfile_path, context_path, mounted) == []


def test_the_carried_widget_is_copied_byte_for_byte(tutor_with_mfe):
    from tutorcredly import plugin  # pylint: disable=import-outside-toplevel

    carried = plugin.HERE + "/templates/" + plugin.WIDGET_TARBALL_TEMPLATE
    in_context = tutor_with_mfe.env / MFE[1] / CARRIED_TARBALL
    with open(carried, "rb") as package_data:
        assert in_context.read_bytes() == package_data.read()
    assert in_context.read_bytes()[:2] == b"\x1f\x8b"  # still a gzip file, not a rendered template


def test_default_installs_the_configured_package_and_the_carried_widget(tutor_with_mfe):
    pip_package = tutor_with_mfe.config().get("CREDLY_PIP_PACKAGE", "openedx-credly=={{ CREDLY_VERSION }}")
    [openedx_install] = installs_of_ours(tutor_with_mfe, OPENEDX[0])
    assert "$PIP_COMMAND install 'openedx-credly==" in openedx_install  # CREDLY_PIP_PACKAGE, asked for
    assert pip_package.startswith("openedx-credly==")
    # The widget from the build context, never from the npm registry; in the profile and the
    # learning stages (CREDLY_COURSE_WIDGET is on by default), once each.
    widget_installs = installs_of_ours(tutor_with_mfe, MFE[0])
    assert len(widget_installs) == 2
    dockerfile = tutor_with_mfe.text(MFE[0])
    for widget_install, mfe_name in zip(widget_installs, ("learning", "profile")):
        assert widget_install.endswith(" /openedx/credly/frontend-plugin-badges.tgz")
        assert "@openedx-credly/" not in widget_install
        stage = dockerfile.split(f"FROM base AS {mfe_name}-common", 1)[1].split("\nFROM ", 1)[0]
        assert f"COPY {CARRIED_TARBALL} /openedx/credly/frontend-plugin-badges.tgz" in stage
        assert widget_install in instructions(stage)


def test_a_mounted_clone_replaces_the_pypi_install(tutor_from_clone):
    dockerfile = tutor_from_clone.text(OPENEDX[0])
    assert "FROM scratch AS mnt-openedx-credly" in dockerfile
    # The production and the development stages install the clone, editable.
    assert dockerfile.count('$PIP_COMMAND install -e "/mnt/openedx-credly"') == 2
    assert all("/mnt/openedx-credly" in line for line in installs_of_ours(tutor_from_clone, OPENEDX[0]))
    assert "openedx-credly==" not in dockerfile
    # The mounted folder is this clone, which the install needs.
    [mount] = tutor_from_clone.config()["MOUNTS"]
    assert mount.endswith("/openedx-credly")
    # The widgets still come from the tarball this clone's Tutor plugin carries.
    widget_installs = installs_of_ours(tutor_from_clone, MFE[0])
    assert len(widget_installs) == 2
    assert all(line.endswith(" /openedx/credly/frontend-plugin-badges.tgz") for line in widget_installs)


def test_a_registry_version_of_the_widget_when_asked(tmp_path):
    tutor_env = render(tmp_path, ["credly", "mfe"], ["CREDLY_MFE_PACKAGE_VERSION=0.1.0"])
    widget_installs = installs_of_ours(tutor_env, MFE[0])
    assert len(widget_installs) == 2  # the profile's and the learning MFE's
    assert all(line.endswith("--registry=$NPM_REGISTRY '@openedx-credly/frontend-plugin-badges@0.1.0'")
               for line in widget_installs)
    assert CARRIED_TARBALL not in tutor_env.text(MFE[0])
    assert copy_problems(tutor_env, *MFE) == []


def test_without_a_carried_widget_the_step_says_what_to_set():
    """A plugin installed without its tarball (no npm at its build): the MFE build fails saying what to set."""
    from tutorcredly import plugin  # pylint: disable=import-outside-toplevel

    step = jinja2.Environment().from_string(plugin.WIDGET_INSTALL_STEP).render(
        CREDLY_MFE_PACKAGE="@openedx-credly/frontend-plugin-badges",
        CREDLY_MFE_PACKAGE_VERSION="", credly_is_widget_carried=lambda: False,
        CREDLY_WIDGET_TARBALL=plugin.WIDGET_TARBALL_IN_CONTEXT,
    )
    assert "COPY" not in step and "npm install" not in step
    assert "set CREDLY_MFE_PACKAGE_VERSION" in step and "CREDLY_MFE_WIDGET=false" in step
    assert step.rstrip().endswith("exit 1")


def test_one_install_step_for_every_mfe_the_widget_serves():
    """Every MFE named in WIDGET_SLOTS gets the same step, under its own switch."""
    from tutorcredly import plugin  # pylint: disable=import-outside-toplevel

    from tutor import hooks  # pylint: disable=import-outside-toplevel

    patches = dict(hooks.Filters.ENV_PATCHES.iterate())
    for mfe_name in plugin.WIDGET_SLOTS:
        switch = plugin.WIDGET_SWITCHES[mfe_name]
        assert patches[f"mfe-dockerfile-post-npm-install-{mfe_name}"] == (
            f"{{%- if {switch} %}}{plugin.WIDGET_INSTALL_STEP}{{%- endif %}}")
    assert set(plugin.WIDGET_SLOTS) == {"profile", "learning"}
