"""
Fixtures of the reliability suite: a private Redis server that a test may restart, and a
test database that worker processes can open.

Worker management itself comes from ``tests/integration/harness.py``.
"""
import shutil
import subprocess
import time

import pytest
from django.db import connections

from tests.integration import harness

harness.use_sqlite_file_for_tests()


class PrivateRedis:
    """
    A ``redis-server`` of our own on a free port, without persistence, that a test may
    restart (the shared Redis on 6379 serves other people's runs and must never be).
    """

    def __init__(self):
        self.binary = shutil.which("redis-server")
        self.port = harness.free_port()
        self.process = None
        self.restarts = 0

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        harness.wait_until(lambda: harness.redis_available(self.url), 10, f"redis-server on port {self.port}")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self, down_for=1.0):
        """Stop (every message it held is lost), stay down ``down_for`` seconds, start again."""
        self.stop()
        time.sleep(down_for)
        self.restarts += 1
        return self.start()


@pytest.fixture
def private_redis():
    """A running private Redis server, stopped after the test."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = PrivateRedis().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_database(django_db_setup):  # pylint: disable=unused-argument
    """``DEVHOST_*`` variables that point a worker process at this session's test database."""
    return harness.database_environment(connections["default"])


@pytest.fixture
def model_settings(settings, use_fake_credly):  # pylint: disable=unused-argument
    """Short timeouts, no grace period, three attempts, no default pause: the issuance model's settings."""
    settings.CREDLY_REQUEST_TIMEOUT = 0.25
    settings.CREDLY_QUEUE_GRACE_PERIOD = 0
    settings.CREDLY_MAX_ATTEMPTS = 3
    settings.CREDLY_RATE_LIMIT_PAUSE = 0
    return settings
