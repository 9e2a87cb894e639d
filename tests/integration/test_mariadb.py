"""
The real-worker tests and the issuance migration again, on MariaDB (Open edX's production database).

One pytest session cannot switch database engines, so this test runs them in a child
pytest with ``DEVHOST_DB=mysql``: pytest-django creates a MariaDB test database of its
own (unique per run, dropped at the end), and the workers get its name. The child's
summary line is shown at the end of this session's report.
"""
import os
import re
import subprocess
import sys

from tests.conftest import require_service
from tests.integration import harness
from tests.integration.conftest import REDIS_DB, child_runs

CHILD_TESTS = ("tests/integration/test_real_worker.py", "tests/integration/test_worker_killed.py",
               "tests/integration/test_webhook_flood_worker.py", "tests/integration/test_issuance_migration.py",
               "tests/integration/test_counting_worker.py")
CHILD_TIMEOUT = 300


def test_real_worker_tests_pass_on_mariadb():
    require_service(harness.redis_available(), "Redis does not answer on 127.0.0.1:6379 (start it, or run .ci/run)")
    require_service(harness.mariadb_available(),
                    "MariaDB does not answer on 127.0.0.1:3306 as root (start it, or run .ci/run)")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DEVHOST_DB", "DEVHOST_SQLITE", "DEVHOST_SETTINGS", "PYTEST_"))}
    env.update({
        "DEVHOST_DB": "mysql",
        "DEVHOST_DB_TEST_NAME": f"test_openedx_credly_it_{os.getpid()}",
        "CREDLY_TEST_REDIS_DB": str(REDIS_DB + 1),  # its own broker database: flushing it cannot hurt ours
    })
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *CHILD_TESTS, "-q", "-rfEs", "-p", "no:cacheprovider"],
        cwd=harness.ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False,
    )
    output = result.stdout + result.stderr
    summary = (output.strip().splitlines() or [""])[-1].strip("= ")
    child_runs.append(f"MariaDB (child pytest, DEVHOST_DB=mysql): {summary}")
    assert result.returncode == 0, output[-8000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 4, summary
    assert "skipped" not in summary and "deselected" not in summary, summary
