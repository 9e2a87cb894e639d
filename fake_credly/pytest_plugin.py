"""
Pytest fixtures for the fake Credly; register with ``pytest_plugins = ["fake_credly.pytest_plugin"]``.

One server serves the whole session (starting a thread per test costs time for nothing);
``fake_credly`` resets it before each test so no test sees another's data or faults.
"""
import pytest

from .server import FakeCredlyServer


# Named apart from its fixture: ``fake_credly`` below takes the fixture as an argument of that name.
@pytest.fixture(scope="session", name="fake_credly_server")
def fake_credly_server_fixture():
    """The session's running FakeCredlyServer, not reset: prefer ``fake_credly``."""
    with FakeCredlyServer() as server:
        yield server


@pytest.fixture
def fake_credly(fake_credly_server):
    """A running, freshly reset FakeCredlyServer (``.url``, ``.api_base_url``, ``.state``...)."""
    fake_credly_server.reset()
    yield fake_credly_server
