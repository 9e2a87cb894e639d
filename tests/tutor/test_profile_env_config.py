"""
The rendered ``env.config.jsx``, run by Node as the profile MFE runs it.

frontend-plugin-framework and the widget package are stand-ins in a temporary
``node_modules``: what is checked is that the file Tutor renders puts the badges in the
profile's slot, and only in the profile.
"""
import re
from pathlib import Path

import pytest

from tests.tutor.conftest import run_env_config_js

PROFILE_SLOT = "org.openedx.frontend.profile.additional_profile_fields.v1"
# The id operators Hide or Modify the widget by: the one the docs, the README and the widget's own slot config use.
WIDGET_ID = "credly_badges_earned"
FRONTEND_SRC = Path(__file__).resolve().parents[2] / "frontend" / "src"

STAND_INS = {
    "@openedx/frontend-plugin-framework": (
        "exports.DIRECT_PLUGIN = 'direct_plugin';\n"
        "exports.IFRAME_PLUGIN = 'iframe_plugin';\n"
        "exports.PLUGIN_OPERATIONS = { Insert: 'insert', Hide: 'hide' };\n"
    ),
    "@openedx-credly/frontend-plugin-badges": "exports.BadgesEarned = function BadgesEarned() { return null; };\n",
}

RUNNER = """
const styles = [];
globalThis.window = { location: { pathname: '/u/ada.lovelace' } };
globalThis.document = {
  createElement: () => ({}),
  head: { appendChild: (element) => styles.push(element.textContent) },
};
const errors = [];
console.error = (...args) => errors.push(args.map(String).join(' '));
const { default: setConfig } = await import('./env.config.mjs');
const config = await setConfig();
const slot = config.pluginSlots[process.argv[2]];
console.log(JSON.stringify({
  errors,
  styles,
  slot: slot ? {
    keepDefault: slot.keepDefault,
    plugins: slot.plugins.map((plugin) => ({
      op: plugin.op,
      id: plugin.widget.id,
      type: plugin.widget.type,
      url: plugin.widget.url || null,
      title: plugin.widget.title || null,
      renderWidget: plugin.widget.RenderWidget ? plugin.widget.RenderWidget.name : null,
    })),
  } : null,
}));
"""


def run_env_config(tutor_env, tmp_path, app_id, node_env="production"):
    """Run the rendered env.config.jsx for one MFE; the profile slot's contents."""
    return run_env_config_js(tutor_env, tmp_path, app_id, STAND_INS, RUNNER, PROFILE_SLOT, node_env=node_env)


def test_widget_in_the_profile_slot(tutor_with_mfe, tmp_path):
    result = run_env_config(tutor_with_mfe, tmp_path, "profile")
    assert result["errors"] == []
    assert result["slot"] == {
        "keepDefault": True,
        "plugins": [{
            "op": "insert", "id": WIDGET_ID, "type": "direct_plugin",
            "url": None, "title": None, "renderWidget": "BadgesEarned",
        }],
    }


@pytest.mark.parametrize("app_id", ["learning", "account"])
def test_other_mfes_untouched(tutor_with_mfe, tmp_path, app_id):
    result = run_env_config(tutor_with_mfe, tmp_path, app_id)
    assert result["errors"] == []
    assert result["slot"] is None


def test_framed_page_in_the_profile_slot(tutor_with_iframe, tmp_path):
    result = run_env_config(tutor_with_iframe, tmp_path, "profile")
    lms_host = tutor_with_iframe.config().get("LMS_HOST", "local.openedx.io")
    assert result["errors"] == []
    assert result["slot"]["plugins"] == [{
        "op": "insert", "id": WIDGET_ID, "type": "iframe_plugin",
        "url": f"http://{lms_host}/credly/profile/badges/?username=ada.lovelace",
        "title": "Badges Earned", "renderWidget": None,
    }]
    # frontend-plugin-framework never sizes the frame: the height rule does.
    assert result["styles"] == ['iframe[title="Badges Earned"] { height: 300px; }']


def test_framed_page_on_the_development_lms(tutor_with_iframe, tmp_path):
    result = run_env_config(tutor_with_iframe, tmp_path, "profile", node_env="development")
    lms_host = tutor_with_iframe.config().get("LMS_HOST", "local.openedx.io")
    assert result["slot"]["plugins"][0]["url"] == f"http://{lms_host}:8000/credly/profile/badges/?username=ada.lovelace"


def test_one_widget_id_everywhere():
    """The id Tutor gives the widget is the one the widget package's own slot configuration gives it."""
    assert re.findall(r"id: '([^']+)'", (FRONTEND_SRC / "slot.js").read_text(encoding="utf-8")) == [WIDGET_ID]
    docs = Path(__file__).resolve().parents[2] / "docs" / "learner_panel.rst"
    assert set(re.findall(r"id: '([^']+)'", docs.read_text(encoding="utf-8"))) == {WIDGET_ID}
