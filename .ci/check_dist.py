"""
Check what the builds made: ``python .ci/check_dist.py [--release] DIST_DIR``.

openedx-credly's wheel and sdist must each carry the licence once and each translation
catalogue once (``openedx_credly/conf/locale`` only), with the SPDX licence in their
metadata. tutor-contrib-credly's must carry the licence and the packed widget. The widget's
npm tarball must carry the licence, its built ``dist/`` and the SPDX licence in its
``package.json``. With ``--release``, all five artefacts must be there, with one version.
"""
import argparse
import io
import json
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

LICENCE = "AGPL-3.0-only"
CATALOGUES = {
    f"openedx_credly/conf/locale/{lang}/LC_MESSAGES/django.{ext}" for lang in ("en", "fr") for ext in ("po", "mo")
}
CARRIED_WIDGET = "tutorcredly/templates/mfe/build/mfe/credly/frontend-plugin-badges.tgz"
WIDGET_FILES = {"package.json", "LICENSE.txt", "dist/index.js", "dist/BadgesEarned.js"}


def python_problems(names, metadata, kind):
    """What is wrong with one Python archive, given its member names (without the sdist's top folder)."""
    found = []
    licences = [name for name in names if Path(name).name == "LICENSE.txt"]
    if len(licences) != 1:
        found.append(f"{kind}: {len(licences)} LICENSE.txt files ({licences})")
    if f"License-Expression: {LICENCE}" not in metadata:
        found.append(f"{kind}: no 'License-Expression: {LICENCE}' in its metadata")
    catalogues = Counter(name for name in names if name.endswith((".po", ".mo")))
    if kind.startswith("openedx_credly"):
        if set(catalogues) != CATALOGUES or any(count != 1 for count in catalogues.values()):
            found.append(f"{kind}: catalogues {sorted(catalogues.elements())}, expected {sorted(CATALOGUES)} once each")
    elif CARRIED_WIDGET not in names:
        found.append(f"{kind}: no packed widget ({CARRIED_WIDGET})")
    return found


def read_wheel(path):
    """A wheel's member names and metadata."""
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        return names, wheel.read(next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()


def read_sdist(path):
    """An sdist's member names (without its top folder) and PKG-INFO."""
    with tarfile.open(path) as sdist:
        members = [member.name.split("/", 1)[1] for member in sdist.getmembers() if "/" in member.name]
        top = sdist.getmembers()[0].name.split("/", 1)[0]
        return members, sdist.extractfile(f"{top}/PKG-INFO").read().decode()


def npm_problems(data, kind):
    """What is wrong with an npm tarball (its bytes); and the version its package.json states."""
    with tarfile.open(fileobj=io.BytesIO(data)) as package:
        names = {name.split("/", 1)[1] for name in package.getnames() if "/" in name}
        manifest = json.loads(package.extractfile("package/package.json").read())
    found = [f"{kind}: no {name}" for name in sorted(WIDGET_FILES - names)]
    if manifest.get("license") != LICENCE:
        found.append(f"{kind}: licence {manifest.get('license')!r}, expected {LICENCE!r}")
    return found, manifest["version"]


def check(dist_dir, release=False):
    """The problems of the artefacts in ``dist_dir``, and the versions they carry."""
    dist = Path(dist_dir)
    found, versions = [], {}
    for path in sorted(dist.glob("*.whl")) + sorted(dist.glob("*.tar.gz")):
        names, metadata = read_wheel(path) if path.suffix == ".whl" else read_sdist(path)
        found += python_problems(names, metadata, path.name)
        versions[path.name] = next(line.split(": ", 1)[1] for line in metadata.splitlines()
                                   if line.startswith("Version: "))
        if path.name.startswith("tutor_contrib_credly") and path.suffix == ".whl" and CARRIED_WIDGET in names:
            with zipfile.ZipFile(path) as wheel:
                widget_found, versions[f"{path.name}: carried widget"] = npm_problems(
                    wheel.read(CARRIED_WIDGET), f"{path.name}: carried widget")
            found += widget_found
    for path in sorted(dist.glob("*.tgz")):
        widget_found, versions[path.name] = npm_problems(path.read_bytes(), path.name)
        found += widget_found
    if release:
        expected = ["openedx_credly-*.whl", "openedx_credly-*.tar.gz", "tutor_contrib_credly-*.whl",
                    "tutor_contrib_credly-*.tar.gz", "openedx-credly-frontend-plugin-badges-*.tgz"]
        found += [f"{dist}: {len(list(dist.glob(pattern)))} {pattern}, expected 1" for pattern in expected
                  if len(list(dist.glob(pattern))) != 1]
        if len(set(versions.values())) > 1:
            found.append(f"{dist}: several versions: {versions}")
    return found, versions


def main(argv=None):
    """Exit 1 with the reasons when the artefacts are wrong."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--release", action="store_true", help="require the five artefacts, with one version")
    parser.add_argument("dist_dir")
    args = parser.parse_args(argv)
    found, versions = check(args.dist_dir, args.release)
    for problem in found:
        print(problem)
    if not found:
        print(f"{', '.join(sorted(versions))}: licence, catalogues, widget and SPDX licence as expected.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
