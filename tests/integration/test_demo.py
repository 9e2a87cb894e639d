"""``python -m demo --no-serve`` (what ``make demo DEMO_ARGS=--no-serve`` runs) issues and shows the badges."""
import os
import re
import subprocess
import sys

from tests.conftest import require_service
from tests.integration import harness
from tests.integration.conftest import REDIS_DB

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def run_demo(tmp_path, *args):
    # The demo sets up its own Django: nothing of this test session's settings may leak into it.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DEVHOST_", "CELERY_", "CREDLY_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "demo", "--no-serve", "--state-dir", str(tmp_path), *args],
        cwd=harness.ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def assert_demo_succeeded(result):
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert "OK  Demo finished: 4 badges issued" in result.stdout
    badge_ids = re.findall(rf"Credly badge id:\s+({UUID})", result.stdout)
    # two courses, the second one's distinction, and the learning path over both
    assert len(set(badge_ids)) == 4, result.stdout
    assert "Data Analysis with Distinction" in result.stdout and "expires at" in result.stdout
    assert 'earned a badge for the learning path "Python for Data"' in result.stdout
    assert re.search(rf"accept URL:\s+http://127\.0\.0\.1:\d+/earner/badges/{badge_ids[0]}/accept", result.stdout)
    assert "that one is now accepted" in result.stdout
    assert "admin / demo-admin" in result.stdout and "ada / demo-learner" in result.stdout


def test_demo_issues_badges_in_process(tmp_path):
    result = run_demo(tmp_path)
    assert_demo_succeeded(result)
    assert "no broker, so tasks run in this process" in result.stdout
    assert (tmp_path / "demo.sqlite3").exists()


def test_demo_issues_badges_through_a_real_worker(tmp_path):
    url = f"redis://{harness.REDIS_HOST}:{harness.REDIS_PORT}/{REDIS_DB + 2}"
    require_service(harness.redis_available(url), f"Redis does not answer at {url} (start it, or run .ci/run)")
    result = run_demo(tmp_path, "--broker", url)
    assert_demo_succeeded(result)
    assert "a worker process issues the badges" in result.stdout
    assert "succeeded" in (tmp_path / "worker.log").read_text()


def test_demo_fails_clearly_when_the_broker_is_down(tmp_path):
    port = harness.free_port()  # nothing listens there
    result = run_demo(tmp_path, "--broker", f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 1
    assert "FAILED  The broker" in result.stdout and "does not answer" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
