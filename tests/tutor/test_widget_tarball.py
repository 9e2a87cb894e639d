"""
The tarball the Tutor plugin carries installs into an MFE the way the profile stage installs it.

A scratch npm project with what frontend-app-profile has (React, frontend-plugin-framework,
frontend-platform, Paragon) gets ``npm install`` of the tarball, then a bundler resolves
the widget by its name from that project, as the MFE's webpack does. The folder install that
failed at run time had its own ``node_modules`` and so a second React: a tarball installs a
copy with none, and the bundle holds one React.

It needs the npm registry (npm's cache makes a second run fast); ``-m "not npm_registry"``
leaves it out on a machine without one.
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_service

pytestmark = pytest.mark.npm_registry

REPOSITORY = Path(__file__).resolve().parents[2]
ESBUILD = REPOSITORY / "frontend" / "node_modules" / "esbuild"
# What frontend-app-profile release/verawood.1 builds with, as the widget's peer dependencies accept.
MFE_PACKAGES = [
    "react@18.3.1", "react-dom@18.3.1", "prop-types@15.8.1", "@openedx/frontend-plugin-framework@1.8.0",
    "@edx/frontend-platform@8.7.1", "@openedx/paragon@23.23.0",
]
ENTRY = """
import { BadgesEarned, badgesEarnedPlugin } from '@openedx-credly/frontend-plugin-badges';
export { BadgesEarned, badgesEarnedPlugin };
"""
BUNDLE = """
const esbuild = require(process.argv[2]);
esbuild.build({
  entryPoints: ['entry.js'], bundle: true, write: false, metafile: true, format: 'esm', logLevel: 'error',
  jsx: 'automatic', loader: { '.js': 'jsx', '.svg': 'dataurl', '.png': 'dataurl' },
  external: ['*.scss', '*.css', 'env.config'], define: { 'process.env.NODE_ENV': '"production"' },
}).then((result) => console.log(JSON.stringify(Object.keys(result.metafile.inputs))), () => process.exit(1));
"""


def test_carried_tarball_installs_and_imports_by_name_with_one_react(tutor_with_mfe, tmp_path):
    npm, node = shutil.which("npm"), shutil.which("node")
    require_service(npm and node, "Node.js and npm are not installed")
    require_service(ESBUILD.is_dir(), "the widget's packages are not installed: make frontend-requirements")
    tarball = tutor_with_mfe.env / "plugins" / "mfe" / "build" / "mfe" / "credly" / "frontend-plugin-badges.tgz"
    (tmp_path / "package.json").write_text(json.dumps({"name": "scratch-mfe", "private": True}))
    install = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline", *MFE_PACKAGES,
         str(tarball)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    installed = tmp_path / "node_modules" / "@openedx-credly" / "frontend-plugin-badges"
    assert installed.is_dir() and not installed.is_symlink()
    assert not (installed / "node_modules").exists()
    assert json.loads((tmp_path / "package.json").read_text())["dependencies"][
        "@openedx-credly/frontend-plugin-badges"].startswith("file:")

    (tmp_path / "entry.js").write_text(ENTRY)
    (tmp_path / "bundle.cjs").write_text(BUNDLE)
    bundle = subprocess.run([node, "bundle.cjs", str(ESBUILD)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=False)
    assert bundle.returncode == 0, bundle.stderr[-3000:]
    inputs = json.loads(bundle.stdout)
    assert "node_modules/@openedx-credly/frontend-plugin-badges/dist/index.js" in inputs
    reacts = {match.group(0) for path in inputs for match in [re.match(r".*node_modules/react/", path)] if match}
    assert reacts == {"node_modules/react/"}
