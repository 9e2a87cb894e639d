"""
The one version of the three packages: ``python .ci/version.py [--tag vX.Y.Z]``.

Prints it when ``openedx_credly.__version__``, ``tutorcredly.__about__.__version__`` and
``frontend/package.json`` (and its lock) agree; exits 1 saying which differ otherwise, or
when the release tag given is not ``v`` followed by that version.
"""
import argparse
import json
import re
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def _python_version(relative_path):
    text = (REPOSITORY / relative_path).read_text(encoding="utf-8")
    return re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", text, re.M).group(1)


def versions():
    """Each place that states the version, and what it states."""
    package_lock = json.loads((REPOSITORY / "frontend" / "package-lock.json").read_text(encoding="utf-8"))
    return {
        "openedx_credly/__init__.py": _python_version("openedx_credly/__init__.py"),
        "tutor/tutorcredly/__about__.py": _python_version("tutor/tutorcredly/__about__.py"),
        "frontend/package.json": json.loads((REPOSITORY / "frontend" / "package.json").read_text(encoding="utf-8"))[
            "version"],
        "frontend/package-lock.json": package_lock["packages"][""]["version"],
    }


def main(argv=None):
    """Print the one version; 1 when the places differ or the tag is not that version."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--tag", help="the release tag, which must be v<version>")
    args = parser.parse_args(argv)
    found = versions()
    if len(set(found.values())) != 1:
        for place, version in found.items():
            print(f"{place}: {version}", file=sys.stderr)
        print("The packages' versions differ: give them one version.", file=sys.stderr)
        return 1
    [version] = set(found.values())
    if args.tag is not None and args.tag != f"v{version}":
        print(f"Tag {args.tag} is not v{version}, the packages' version: refusing to release it.", file=sys.stderr)
        return 1
    print(version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
