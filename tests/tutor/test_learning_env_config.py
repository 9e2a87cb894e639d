"""
The Course badges widget in the learning MFE, as Tutor renders it (``CREDLY_COURSE_WIDGET``).

The rendered ``env.config.jsx`` is run by Node as the learning MFE runs it, with stand-ins
for frontend-plugin-framework and the widget package (whose ``courseBadgesPluginSlots``
names its plugins): the widget lands in the Progress tab's two certificate-status slots and
the course exit page's, for the learning MFE only, and nowhere when the switch is off.
"""
import pytest

from tests.tutor.conftest import render, run_env_config_js

SIDE_PANEL = "org.openedx.frontend.learning.progress_tab_certificate_status_side_panel.v1"
MAIN_BODY = "org.openedx.frontend.learning.progress_tab_certificate_status_main_body.v1"
COURSE_EXIT = "org.openedx.frontend.learning.course_recommendations.v1"
PACKAGE = "@openedx-credly/frontend-plugin-badges"

STAND_INS = {
    "@openedx/frontend-plugin-framework": (
        "exports.DIRECT_PLUGIN = 'direct_plugin';\n"
        "exports.IFRAME_PLUGIN = 'iframe_plugin';\n"
        "exports.PLUGIN_OPERATIONS = { Insert: 'insert', Hide: 'hide' };\n"
    ),
    PACKAGE: (
        "exports.BadgesEarned = function BadgesEarned() { return null; };\n"
        "const plugin = (id) => ({ op: 'insert', widget: { id, type: 'direct_plugin', priority: 60 } });\n"
        "exports.courseBadgesPluginSlots = {\n"
        f"  '{SIDE_PANEL}': {{ keepDefault: true, plugins: [plugin('credly_course_badges_side_panel')] }},\n"
        f"  '{MAIN_BODY}': {{ keepDefault: true, plugins: [plugin('credly_course_badges_main_body')] }},\n"
        f"  '{COURSE_EXIT}': {{ keepDefault: true, plugins: [plugin('credly_course_badges_course_exit')] }},\n"
        "};\n"
    ),
}

RUNNER = """
globalThis.window = { location: { pathname: '/course/course-v1:Academy+PY101+2026/progress' } };
globalThis.document = { createElement: () => ({}), head: { appendChild: () => {} } };
const errors = [];
console.error = (...args) => errors.push(args.map(String).join(' '));
const { default: setConfig } = await import('./env.config.mjs');
const config = await setConfig();
const slots = {};
for (const [id, slot] of Object.entries(config.pluginSlots)) {
  slots[id] = { keepDefault: slot.keepDefault, plugins: slot.plugins.map((plugin) => plugin.widget.id) };
}
console.log(JSON.stringify({ errors, slots }));
"""


@pytest.fixture(name="tutor_without_course_widget", scope="module")
def fixture_tutor_without_course_widget(tmp_path_factory):
    """credly and mfe enabled, the course widget switched off."""
    return render(tmp_path_factory.mktemp("tutor-no-course-widget"), ["credly", "mfe"], ["CREDLY_COURSE_WIDGET=false"])


def run_env_config(tutor_env, tmp_path, app_id):
    """Run the rendered env.config.jsx for one MFE: ``{errors, slots}``."""
    return run_env_config_js(tutor_env, tmp_path, app_id, STAND_INS, RUNNER)


def test_on_by_default(tutor_with_mfe):
    assert tutor_with_mfe.config().get("CREDLY_COURSE_WIDGET", True) is True


def test_the_widget_in_the_learning_mfes_slots(tutor_with_mfe, tmp_path):
    result = run_env_config(tutor_with_mfe, tmp_path, "learning")
    assert result["errors"] == []
    assert result["slots"] == {
        SIDE_PANEL: {"keepDefault": True, "plugins": ["credly_course_badges_side_panel"]},
        MAIN_BODY: {"keepDefault": True, "plugins": ["credly_course_badges_main_body"]},
        COURSE_EXIT: {"keepDefault": True, "plugins": ["credly_course_badges_course_exit"]},
    }


def test_the_learning_image_installs_the_package(tutor_with_mfe):
    dockerfile = tutor_with_mfe.text("plugins/mfe/build/mfe/Dockerfile")
    learning_stage = dockerfile.split("FROM base AS learning-common", 1)[1].split("FROM ", 1)[0]
    # The same carried tarball as the profile's: one package serves both MFEs.
    assert "COPY credly/frontend-plugin-badges.tgz /openedx/credly/frontend-plugin-badges.tgz" in learning_stage
    assert "npm install --no-audit --no-fund --registry=$NPM_REGISTRY /openedx/credly/frontend-plugin-badges.tgz" \
        in learning_stage


@pytest.mark.parametrize("app_id", ["profile", "account"])
def test_other_mfes_get_no_course_widget(tutor_with_mfe, tmp_path, app_id):
    result = run_env_config(tutor_with_mfe, tmp_path, app_id)
    assert result["errors"] == []
    assert not {SIDE_PANEL, MAIN_BODY, COURSE_EXIT} & set(result["slots"])


def test_switched_off(tutor_without_course_widget, tmp_path):
    result = run_env_config(tutor_without_course_widget, tmp_path, "learning")
    assert result["errors"] == []
    assert all(not slot["plugins"] for slot in result["slots"].values())
    dockerfile = tutor_without_course_widget.text("plugins/mfe/build/mfe/Dockerfile")
    assert PACKAGE not in dockerfile.split("FROM base AS learning-common", 1)[1].split("FROM ", 1)[0]
