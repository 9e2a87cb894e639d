"""
The package's layout stays what README.rst's "Where things are" and .importlinter say.

import-linter (``make import_lint``) checks the imports between the entries it names; these
tests make sure that every entry of ``openedx_credly/`` is named there, so a new module
cannot sit outside the contract, and that the README's table matches the folders.
"""
import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "openedx_credly"
# Not Python the layers govern: configuration, data and Django's own folders.
NOT_LAYERED = {"settings", "migrations", "templates", "static", "conf", "__init__.py"}


def package_entries():
    """The modules and subpackages directly in openedx_credly/ ("issuing/", "tasks.py")."""
    entries = set()
    for path in PACKAGE.iterdir():
        if path.name in NOT_LAYERED or path.name.startswith((".", "__pycache__")):
            continue
        if path.is_dir() and (path / "__init__.py").exists():
            entries.add(path.name + "/")
        elif path.suffix == ".py":
            entries.add(path.name)
    return entries


def layered_modules():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    layers = config["importlinter:contract:layers"]["layers"]
    return {name.strip() for line in layers.splitlines() for name in line.split("|") if name.strip()}


def readme_section():
    text = (ROOT / "README.rst").read_text()
    start = text.index("\nWhere things are\n")
    end = text.index("\n****", text.index("\n****", start) + 5)
    return text[start:end]


def as_module(entry):
    return "openedx_credly." + entry.rstrip("/").removesuffix(".py")


def test_every_entry_of_the_package_is_in_a_layer():
    assert {as_module(entry) for entry in package_entries()} == layered_modules()


def test_readme_names_every_entry_of_the_package_and_only_those():
    table = readme_section().split("\n=====")[1]
    named = set(re.findall(r"``([a-z_]+(?:/|\.py))``", table))
    assert named == package_entries()


@pytest.mark.parametrize("subpackage", sorted(entry.rstrip("/") for entry in package_entries() if entry.endswith("/")))
def test_each_subpackage_says_what_it_owns(subpackage):
    docstring = ast.get_docstring(ast.parse((PACKAGE / subpackage / "__init__.py").read_text()))
    assert docstring and len(docstring.splitlines()) >= 2, f"{subpackage}/__init__.py has no docstring worth the name"


def test_import_linter_catches_an_import_against_the_layers(tmp_path):
    """A module below ``tasks`` that imports it breaks the contract (the check is not vacuous)."""
    copy = tmp_path / "openedx_credly"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "locale", "templates"))
    (copy / "issuing" / "layering_probe.py").write_text("from openedx_credly import tasks  # noqa\n")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--config", str(ROOT / ".importlinter")],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode != 0, result.stdout[-2000:]
    assert "openedx_credly.issuing.layering_probe -> openedx_credly.tasks" in result.stdout
