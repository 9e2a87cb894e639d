"""Package metadata for openedx-credly."""
import os
import re

from setuptools import find_namespace_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))


def get_version(*file_paths):
    """Read ``__version__`` from the package without importing it."""
    with open(os.path.join(HERE, *file_paths), encoding="utf-8") as version_file:
        match = re.search(r"^__version__ = ['\"]([^'\"]*)['\"]", version_file.read(), re.M)
    if not match:
        raise RuntimeError("Unable to find version string.")
    return match.group(1)


def load_requirements(*requirements_paths):
    """
    Read the ``.in`` requirement files, keeping package names and markers only.

    Lines that pull other files in (``-r``/``-c``) and comments are ignored; the
    constraints file is applied to the runtime requirement it names.
    """
    requirements = set()
    constraints = {}
    for path in requirements_paths:
        with open(os.path.join(HERE, path), encoding="utf-8") as req_file:
            for line in req_file:
                line = line.split("#", 1)[0].strip()
                if line.startswith("-c"):
                    constraints.update(_read_constraints(os.path.join(HERE, os.path.dirname(path), line[2:].strip())))
                elif line and not line.startswith("-"):
                    requirements.add(line)
    result = []
    for requirement in sorted(requirements):
        name = re.split(r"[<>=\[;\s]", requirement, maxsplit=1)[0].lower()
        result.append(requirement + constraints.get(name, ""))
    return result


def _read_constraints(path):
    """The version specifiers of a constraints file, by lower-case package name."""
    constraints = {}
    with open(path, encoding="utf-8") as constraint_file:
        for line in constraint_file:
            line = line.split("#", 1)[0].strip()
            if line:
                name = re.split(r"[<>=!~\s]", line, maxsplit=1)[0].lower()
                constraints[name] = line[len(name):].strip()
    return constraints


with open(os.path.join(HERE, "README.rst"), encoding="utf-8") as readme_file:
    README = readme_file.read()

setup(
    name="openedx-credly",
    version=get_version("openedx_credly", "__init__.py"),
    description="Award Credly digital badges to Open edX learners who pass a course or earn its certificate.",
    long_description=README,
    long_description_content_type="text/x-rst",
    license_expression="AGPL-3.0-only",
    license_files=["LICENSE.txt"],
    # Namespace discovery also lists the folders that hold only data (templates, static files,
    # the conf/locale catalogues), so setuptools ships them without "package would be ignored".
    packages=find_namespace_packages(include=["openedx_credly", "openedx_credly.*"]),
    include_package_data=True,
    python_requires=">=3.11",
    install_requires=load_requirements("requirements/base.in"),
    zip_safe=False,
    entry_points={
        "lms.djangoapp": ["openedx_credly = openedx_credly.apps:OpenedxCredlyConfig"],
        "cms.djangoapp": ["openedx_credly = openedx_credly.apps:OpenedxCredlyConfig"],
    },
    classifiers=[
        "Development Status :: 4 - Beta",
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Intended Audience :: Developers",
        "Natural Language :: English",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
)
