"""
``tutor local do init --limit=credly``: the task Tutor runs, run here by ``sh -e`` (as
Tutor's job runner does) against a stand-in ``./manage.py`` that records its calls.
"""
import json
import re
import subprocess
import sys

import pytest

LIST_TASKS = """
import json
from tutor import hooks, plugins
hooks.Actions.CORE_READY.do()
plugins.load("credly")
print(json.dumps(list(hooks.Filters.CLI_DO_INIT_TASKS.iterate_from_context(hooks.Contexts.app("credly").name))))
"""

# A stand-in for edx-platform's manage.py: records each call; "shell" answers whether an
# organization is connected (the ORGS environment variable), "migrate --check" fails
# when MIGRATIONS_PENDING is set.
MANAGE_PY = """#!/bin/sh
echo "$*" >> calls.log
case "$*" in
  "lms shell"*) [ "$ORGS" = "yes" ] ;;
  "lms migrate --check"*) [ -z "$MIGRATIONS_PENDING" ] ;;
  "lms credly_sync_templates"*) [ -z "$SYNC_FAILS" ] ;;
esac
"""


@pytest.fixture(scope="module")
def init_tasks():
    """The init tasks that ``--limit=credly`` selects: (service, script)."""
    result = subprocess.run([sys.executable, "-c", LIST_TASKS], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def run_init(script, tmp_path, **env):
    """Run the init script with ``sh -e``; its exit status and the manage.py calls."""
    manage = tmp_path / "manage.py"
    manage.write_text(MANAGE_PY)
    manage.chmod(0o755)
    result = subprocess.run(
        ["sh", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    calls = (tmp_path / "calls.log").read_text().splitlines() if (tmp_path / "calls.log").exists() else []
    return result.returncode, calls


def test_one_task_in_the_lms(init_tasks):
    assert [service for service, _script in init_tasks] == ["lms"]


def test_migrations_then_template_sync_when_an_organization_exists(init_tasks, tmp_path):
    status, calls = run_init(init_tasks[0][1], tmp_path, ORGS="yes")
    assert status == 0
    assert calls[0] == "lms migrate openedx_credly"
    assert calls[1] == "lms migrate --check openedx_credly"
    assert calls[2].startswith("lms shell -c")
    assert calls[3] == "lms credly_sync_templates"


def test_no_sync_without_an_organization(init_tasks, tmp_path):
    status, calls = run_init(init_tasks[0][1], tmp_path, ORGS="no")
    assert status == 0
    assert "lms credly_sync_templates" not in calls


def test_unapplied_migrations_fail_the_init(init_tasks, tmp_path):
    status, calls = run_init(init_tasks[0][1], tmp_path, ORGS="yes", MIGRATIONS_PENDING="1")
    assert status != 0
    assert "lms credly_sync_templates" not in calls


def test_a_failed_sync_does_not_stop_the_platform_init(init_tasks, tmp_path):
    status, calls = run_init(init_tasks[0][1], tmp_path, ORGS="yes", SYNC_FAILS="1")
    assert status == 0
    assert "lms credly_sync_templates" in calls


def _exit_status(code):
    """Run ``code`` as ``manage.py shell -c`` does; the status it exits with."""
    try:
        exec(code, {})  # pylint: disable=exec-used
    except SystemExit as stop:
        return stop.code
    return None


@pytest.mark.django_db
def test_the_organization_check_against_the_database(init_tasks, organization):
    """The Python that ``manage.py lms shell -c`` runs, run here: 0 with an active organization, 1 without."""
    code = re.search(r'shell -c "([^"]+)"', init_tasks[0][1]).group(1)
    assert _exit_status(code) == 0
    organization.is_active = False
    organization.save()
    assert _exit_status(code) == 1
