"""
Fixtures of the end-to-end tests: a Redis broker, real worker processes, a shared database.

Worker processes must see the rows this process writes, so the test database has to
be one they can open: a SQLite *file* (set below, before pytest-django creates it) or
MariaDB (``DEVHOST_DB=mysql``; ``test_mariadb.py`` runs the worker tests again in a
child pytest on MariaDB). Tests that use workers are marked
``django_db(transaction=True)``: their rows are committed, as in production.
"""
import os
import uuid

import pytest
from django.db import connections

from tests.conftest import CHILD_RUN, ORG_ID, TEMPLATE_ID, TOKEN, require_service
from tests.integration import harness

# Redis database numbers of this suite's broker (the MariaDB child run uses the next one).
REDIS_DB = int(os.environ.get("CREDLY_TEST_REDIS_DB", "13"))


harness.use_sqlite_file_for_tests()


@pytest.fixture(scope="session")
def redis_broker():
    """The suite's Redis database as a Celery broker, emptied before and after the session."""
    url = f"redis://{harness.REDIS_HOST}:{harness.REDIS_PORT}/{REDIS_DB}"
    require_service(harness.redis_available(url),
                    f"Redis does not answer at {url} (start redis-server, or run .ci/run)")
    broker = harness.RedisBroker(REDIS_DB)
    broker.flush()
    yield broker
    broker.flush()


@pytest.fixture(scope="session")
def shared_database(django_db_setup):  # pylint: disable=unused-argument
    """``DEVHOST_*`` variables that point a worker process at this session's test database."""
    return harness.database_environment(connections["default"])


@pytest.fixture(scope="session")
def make_worker_env(redis_broker, shared_database, fake_credly_server):
    """``make_worker_env(queue, **extra)``: a worker's environment, on this session's broker, database and fake."""
    def make(queue, visibility_timeout=3600, **extra):
        return harness.worker_environment(
            broker_url=redis_broker.url, credly=fake_credly_server, queue=queue, database=shared_database,
            visibility_timeout=visibility_timeout, extra={key: str(value) for key, value in extra.items()},
        )
    return make


def new_queue_name():
    """A queue of one's own: concurrent runs on the same Redis never take each other's messages."""
    return f"credly-it-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def publish_to_workers(redis_broker, settings, use_fake_credly):  # pylint: disable=unused-argument
    """
    ``publish_to_workers(queue)``: from now on this test's tasks go to Redis, on ``queue``.

    Also points this process at the fake Credly and makes the sweeper's grace period 0,
    as the worker environment does.
    """
    stack = []

    def start(queue):
        settings.CREDLY_CELERY_QUEUE = queue
        settings.CREDLY_QUEUE_GRACE_PERIOD = 0
        redis_broker.purge(queue)
        context = harness.publishing_to(redis_broker.url)
        context.__enter__()
        stack.append((context, queue))

    yield start
    for context, queue in stack:
        context.__exit__(None, None, None)
        redis_broker.purge(queue)


@pytest.fixture
def credly_org(fake_credly):
    """The root conftest's organization and template, as they exist on the fake Credly."""
    fake_credly.state.add_organization("Open edX Academy", id=ORG_ID, token=TOKEN)
    fake_credly.state.add_template(ORG_ID, "Course Finisher", id=TEMPLATE_ID)
    return fake_credly


# Summary lines of child pytest runs (test_mariadb.py), printed at the end of the report (tests/conftest.py).
child_runs = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # pylint: disable=unused-argument
    """The child runs' summary lines go in the report of the test that ran them (it reaches an xdist controller)."""
    outcome = yield
    report = outcome.get_result()
    while child_runs:
        report.user_properties.append((CHILD_RUN, child_runs.pop(0)))
