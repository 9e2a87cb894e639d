"""
Check what ``python -m build`` made: ``python .ci/check_dist.py DIST_DIR``.

The wheel and the sdist must each carry the licence once and each translation catalogue
once (``openedx_credly/conf/locale`` only), with the SPDX licence in their metadata.
"""
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

CATALOGUES = {
    f"openedx_credly/conf/locale/{lang}/LC_MESSAGES/django.{ext}" for lang in ("en", "fr") for ext in ("po", "mo")
}


def problems(names, metadata, kind):
    """What is wrong with one archive, given its member names (without the sdist's top folder)."""
    found = []
    licences = [name for name in names if Path(name).name == "LICENSE.txt"]
    if len(licences) != 1:
        found.append(f"{kind}: {len(licences)} LICENSE.txt files ({licences})")
    catalogues = Counter(name for name in names if name.endswith((".po", ".mo")))
    if set(catalogues) != CATALOGUES or any(count != 1 for count in catalogues.values()):
        found.append(f"{kind}: catalogues {sorted(catalogues.elements())}, expected {sorted(CATALOGUES)} once each")
    if "License-Expression: AGPL-3.0-or-later" not in metadata:
        found.append(f"{kind}: no 'License-Expression: AGPL-3.0-or-later' in its metadata")
    return found


def main(dist_dir):
    """Inspect the one wheel and the one sdist in ``dist_dir``; exit 1 with the reasons if they are wrong."""
    dist = Path(dist_dir)
    (wheel_path,), (sdist_path,) = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    with zipfile.ZipFile(wheel_path) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()
    found = problems(names, metadata, wheel_path.name)
    with tarfile.open(sdist_path) as sdist:
        members = [member.name.split("/", 1)[1] for member in sdist.getmembers() if "/" in member.name]
        top = sdist.getmembers()[0].name.split("/", 1)[0]
        metadata = sdist.extractfile(f"{top}/PKG-INFO").read().decode()
    found += problems(members, metadata, sdist_path.name)
    for problem in found:
        print(problem)
    if not found:
        print(f"{wheel_path.name} and {sdist_path.name}: licence once, catalogues once, SPDX licence.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
