"""What a newcomer's first commands print: plain help, no telemetry warning, no stray service chatter."""
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmarks_help_is_plain_text():
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    assert "Run the benchmarks" in result.stdout
    assert "``" not in result.stdout


def test_the_standalone_host_sends_no_telemetry():
    # edx-django-utils would otherwise try New Relic, absent here, and warn on the first custom attribute.
    assert settings.OPENEDX_TELEMETRY == []


def test_ci_checks_mariadb_without_printing_its_answer():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "ping >/dev/null" in script
    assert "make quality; quality=$?" in script and "make test; tests=$?" in script
