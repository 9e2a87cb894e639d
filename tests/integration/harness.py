"""
Real Celery workers, a real Redis broker and a shared database, for end-to-end tests.

Used by this directory's tests, the reliability suite and the benchmarks. Nothing
here imports pytest, so a plain script can use it too. The pieces:

* ``redis_available(url)`` / ``mariadb_available()``: can the service be reached?
* ``RedisBroker(db)``: a dedicated Redis database as the Celery broker; ``flush()``
  empties it, ``purge(queue)`` drops one queue's messages between tests,
  ``idle(queue)`` says when every message was consumed.
* ``database_environment(connection)``: the ``DEVHOST_*`` variables that make a worker
  process use the same database as this process (a SQLite *file* or a MariaDB database).
* ``worker_environment(...)``: the whole environment of a worker process.
* ``CeleryWorker``: one ``celery -A devhost worker`` process: ``start()``,
  ``wait_ready()``, ``stop()``, ``kill()`` (SIGKILL to its whole process group, as a
  crash or the OOM killer would), ``restart()``, ``log_text()``.
* ``WorkerPool``: N of them, started together, stopped on exit.
* ``publishing_to(broker_url)``: for a ``with`` block, this process's Celery app sends
  tasks to the broker instead of running them eagerly (the test settings' default).
* ``wait_until(predicate, timeout, message)``: poll until true, or raise ``TimeoutError``.

Typical use (see ``tests/integration/conftest.py`` for the fixtures built on it)::

    broker = RedisBroker(db=13); broker.flush()
    env = worker_environment(broker_url=broker.url, credly=fake_credly_server, queue="credly-it",
                             database=database_environment(connection))
    with WorkerPool(2, env=env, queue="credly-it", log_dir=tmp_path) as pool, publishing_to(broker.url):
        ...  # send events; wait_until(...); pool.workers[0].kill(); pool.workers[0].restart()
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, TypeVar

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
# Settings of worker processes: the host's own, not the test settings (which force eager tasks).
WORKER_SETTINGS_MODULE = "devhost.settings"
# Short waits so a test about a killed worker does not sit through production timeouts.
WORKER_CREDLY_SETTINGS = {
    "CREDLY_REQUEST_TIMEOUT": "10",
    "CREDLY_QUEUE_GRACE_PERIOD": "0",
    "CREDLY_MAX_ATTEMPTS": "5",
    "CREDLY_RETRY_BACKOFF_MAX": "2",
    "CREDLY_RATE_LIMIT_PAUSE": "1",
}

T = TypeVar("T")
# Celery's INFO line for a finished task: "Task <name>[<id>] succeeded in 0.01s: 'issued'".
_OUTCOME = re.compile(r"Task \S+\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: '([a-z_]+)'")


# ---------------------------------------------------------------- waiting


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, message: str = "", interval: float = 0.1) -> T:
    """
    Call ``predicate`` until it returns something truthy, and return that.

    Raises ``TimeoutError`` after ``timeout`` seconds; ``message`` (or a callable
    returning one, evaluated only then) says what was awaited and what was seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise TimeoutError(f"Waited {timeout:.0f} s in vain: {text or predicate}")
        time.sleep(interval)


# ---------------------------------------------------------------- services


def redis_available(url: str = f"redis://{REDIS_HOST}:{REDIS_PORT}/0") -> bool:
    """Whether Redis answers PING at ``url``."""
    try:
        import redis  # pylint: disable=import-outside-toplevel

        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except Exception:  # pylint: disable=broad-except
        return False


def mariadb_available(host: str = MARIADB["host"], port: int = MARIADB["port"], user: str = MARIADB["user"],
                      password: str = MARIADB["password"]) -> bool:
    """Whether MariaDB (or MySQL) accepts a connection with these credentials."""
    try:
        import pymysql  # pylint: disable=import-outside-toplevel

        pymysql.connect(host=host, port=int(port), user=user, password=password, connect_timeout=2).close()
        return True
    except Exception:  # pylint: disable=broad-except
        return False


class RedisBroker:
    """
    One Redis database used as the Celery broker of a test run.

    Use a database number nothing else uses: ``flush()`` empties all of it, including
    the ``unacked`` hash where Redis keeps the messages of a killed worker.
    """

    def __init__(self, db: int = 13, host: str = REDIS_HOST, port: int = REDIS_PORT):
        import redis  # pylint: disable=import-outside-toplevel

        self.db, self.host, self.port = db, host, port
        self.client = redis.Redis(host=host, port=port, db=db, socket_timeout=5)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/{self.db}"

    def flush(self) -> None:
        self.client.flushdb()

    def queue_length(self, queue: str) -> int:
        """Messages waiting in ``queue`` (not yet taken by a worker)."""
        return int(self.client.llen(queue))

    def unacked_count(self, queue: str | None = None) -> int:
        """
        Messages taken by a worker and not acknowledged yet (running, prefetched, or of a dead worker).

        With ``queue``, only those routed to it: another suite sharing the Redis database
        then cannot make this one wait.
        """
        if queue is None:
            return int(self.client.hlen("unacked"))
        count = 0
        for raw in self.client.hvals("unacked"):
            try:
                _message, _exchange, routing_key = json.loads(raw)
            except (TypeError, ValueError):
                continue
            count += routing_key == queue
        return count

    def purge(self, queue: str) -> None:
        """Drop ``queue``'s messages and every unacknowledged one, keeping the queues' bindings."""
        self.client.delete(queue, "unacked", "unacked_index", "unacked_mutex")

    def idle(self, queue: str) -> bool:
        """Nothing waits in ``queue`` and nothing is in a worker's hands."""
        return self.queue_length(queue) == 0 and self.unacked_count(queue) == 0

    def __repr__(self) -> str:
        return f"<RedisBroker {self.url}>"


# ---------------------------------------------------------------- environments


def database_environment(connection=None) -> dict[str, str]:
    """
    ``DEVHOST_*`` variables that point a worker at the database ``connection`` uses.

    Call it once the test database exists (pytest-django's ``django_db_setup``): the
    connection then names the test database. An in-memory SQLite database cannot be
    shared with another process, so it is refused.
    """
    if connection is None:
        from django.db import connection  # pylint: disable=import-outside-toplevel
    settings_dict = connection.settings_dict
    name = str(settings_dict["NAME"])
    if connection.vendor == "sqlite":
        if name == ":memory:" or "mode=memory" in name:
            raise ValueError("An in-memory SQLite database cannot be shared with worker processes: use a file "
                             "(DEVHOST_SQLITE_TEST_PATH, see tests/integration/conftest.py).")
        return {"DEVHOST_SQLITE_PATH": name}
    if connection.vendor == "mysql":
        return {
            "DEVHOST_DB": "mysql",
            "DEVHOST_DB_NAME": name,
            "DEVHOST_DB_HOST": str(settings_dict.get("HOST") or MARIADB["host"]),
            "DEVHOST_DB_PORT": str(settings_dict.get("PORT") or MARIADB["port"]),
            "DEVHOST_DB_USER": str(settings_dict.get("USER") or MARIADB["user"]),
            "DEVHOST_DB_PASSWORD": str(settings_dict.get("PASSWORD") or ""),
        }
    raise ValueError(f"Workers cannot share a {connection.vendor} database yet.")


def credly_environment(credly) -> dict[str, str]:
    """``CREDLY_*`` URL variables pointing production and sandbox alike at a fake Credly."""
    env = {}
    for prefix in ("CREDLY_", "CREDLY_SANDBOX_"):
        env[f"{prefix}API_BASE_URL"] = credly.api_base_url
        env[f"{prefix}WEB_BASE_URL"] = credly.web_base_url
        env[f"{prefix}OAUTH_TOKEN_URL"] = credly.oauth_token_url
    return env


def worker_environment(*, broker_url: str, credly, queue: str, database: dict[str, str],
                       visibility_timeout: int = 3600, extra: dict[str, str] | None = None) -> dict[str, str]:
    """
    The environment of a worker process: this one's, minus anything that would point it elsewhere.

    ``credly`` is anything with ``api_base_url``, ``web_base_url`` and ``oauth_token_url``
    (a ``FakeCredlyServer``); ``database`` comes from ``database_environment``;
    ``visibility_timeout`` is how long Redis keeps a taken message before handing it
    to another worker; ``extra`` overrides any variable (e.g. ``CREDLY_REQUEST_TIMEOUT``).
    """
    # Drop what points this process elsewhere (its database, its eager Celery); keep DEVHOST_SECRET_KEY,
    # which the worker needs to decrypt the organizations' tokens.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DEVHOST_DB", "DEVHOST_SQLITE", "DEVHOST_SETTINGS", "CREDLY_", "CELERY_",
                                  "DJANGO_", "PYTEST_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": WORKER_SETTINGS_MODULE,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
        "CREDLY_CELERY_QUEUE": queue,
        "CREDLY_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **WORKER_CREDLY_SETTINGS,
        **credly_environment(credly),
        **database,
        **(extra or {}),
    })
    return env


# ---------------------------------------------------------------- workers


class CeleryWorker:
    """
    One ``celery -A devhost worker`` process consuming ``queue``, its output in ``log_path``.

    ``pool`` is ``"solo"`` (the task runs in the worker process itself) or ``"prefork"``
    (one child process, ``--concurrency=1``). The process leads its own process group,
    so ``kill()`` takes its pool children with it.
    """

    def __init__(self, name: str, env: dict[str, str], queue: str, log_path: Path, pool: str = "solo"):
        self.name = name
        self.env = dict(env)
        self.queue = queue
        self.log_path = Path(log_path)
        self.pool = pool
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._log_offset = 0  # where the current start's output begins in the log

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        command = [
            sys.executable, "-m", "celery", "-A", "devhost", "worker", "-n", f"{self.name}@%h", "-Q", self.queue,
            f"--pool={self.pool}", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO",
        ]
        if self.pool == "prefork":
            command.append("--concurrency=1")
        return command

    def start(self, wait: bool = True, timeout: float = 30.0) -> "CeleryWorker":
        """Start the process (appending to its log); by default wait until it consumes."""
        if self.alive:
            return self
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start {self.starts + 1} of {self.name} =====\n".encode())
            log.flush()
            self._log_offset = log.tell()
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                self.command(), cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.starts += 1
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait for Celery's "ready." line of the current start; fail early if the process died."""
        def ready():
            if not self.alive:
                raise RuntimeError(f"Worker {self.name} exited with {self.process.returncode}:\n{self.log_text()}")
            return " ready." in self.log_text(since_start=True)

        wait_until(ready, timeout, lambda: f"worker {self.name} to be ready; log:\n{self.log_text()}", 0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` (SIGKILL: no cleanup, no ack, no goodbye) to the whole worker and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 15.0) -> None:
        """Warm shutdown (SIGTERM: finish the current task); SIGKILL if it takes longer than ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        # Pool children left in the group by an unclean exit.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def restart(self, wait: bool = True, timeout: float = 30.0) -> "CeleryWorker":
        """Start again after a stop or a kill (a crashed worker brought back by its supervisor)."""
        self.stop()
        return self.start(wait=wait, timeout=timeout)

    def log_text(self, since_start: bool = False) -> str:
        """The worker's output (of every start, or of the current one)."""
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as log:
            if since_start:
                log.seek(self._log_offset)
            return log.read().decode(errors="replace")

    def tasks_received(self) -> int:
        """How many task messages this worker received, over all its starts."""
        return self.log_text().count("] received")

    def outcomes(self) -> Counter:
        """What its tasks returned, counted from its log (``issue_badge``: ``"issued"``, ``"not_claimed"``...)."""
        return Counter(_OUTCOME.findall(self.log_text()))

    def __repr__(self) -> str:
        return f"<CeleryWorker {self.name} pid={self.pid} {'alive' if self.alive else 'stopped'}>"


class WorkerPool:
    """``count`` workers on one queue; a context manager that stops them all on exit."""

    def __init__(self, count: int, env: dict[str, str], queue: str, log_dir: Path, *, pool: str = "solo",
                 prefix: str = "credly-it"):
        tag = uuid.uuid4().hex[:6]
        self.workers = [
            CeleryWorker(f"{prefix}-{tag}-{number}", env, queue, Path(log_dir) / f"{prefix}-{tag}-{number}.log", pool)
            for number in range(1, count + 1)
        ]

    def start(self, timeout: float = 45.0) -> "WorkerPool":
        """Start every worker, then wait for all (they boot in parallel)."""
        for worker in self.workers:
            worker.start(wait=False)
        for worker in self.workers:
            worker.wait_ready(timeout)
        return self

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def outcomes(self) -> Counter:
        """Task results of all the pool's workers (see ``CeleryWorker.outcomes``)."""
        return sum((worker.outcomes() for worker in self.workers), Counter())

    def logs(self) -> str:
        return "\n".join(f"--- {w.name} ---\n{w.log_text()[-4000:]}" for w in self.workers)

    def __getitem__(self, index: int) -> CeleryWorker:
        return self.workers[index]

    def __enter__(self) -> "WorkerPool":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


# ---------------------------------------------------------------- this process


@contextlib.contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """
    Within the block, ``apply_async`` in this process sends to ``broker_url`` instead of running eagerly.

    The test settings make Celery eager; the real-worker tests need the plugin's own
    ``apply_async`` calls (after a commit, in the sweeper) to reach Redis. The
    connection pools are reset on the way in and out so nothing leaks between tests.
    """
    from devhost.celery import app  # pylint: disable=import-outside-toplevel

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    _reset_connections(app)
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    try:
        yield
    finally:
        _reset_connections(app)
        app.conf.update(saved)


def _reset_connections(app) -> None:
    from kombu import pools  # pylint: disable=import-outside-toplevel

    # kombu keeps its pools in module-wide registries: close and forget them all, then the app's handles.
    with contextlib.suppress(Exception):
        pools.reset()
    app._pool = None  # pylint: disable=protected-access
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None  # pylint: disable=protected-access


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


__all__ = [
    "CeleryWorker", "RedisBroker", "WorkerPool", "credly_environment", "database_environment", "free_port",
    "mariadb_available", "publishing_to", "redis_available", "use_sqlite_file_for_tests", "wait_until",
    "worker_environment",
]


def use_sqlite_file_for_tests() -> None:
    """
    Make pytest-django's SQLite test database a file that worker processes can open.

    A conftest calls this while tests are collected, before any test database exists,
    so changing the TEST name here is in time; it applies to the whole session.
    ``DEVHOST_SQLITE_TEST_PATH`` (read by test_settings.py) chooses the file instead.
    """
    import tempfile  # pylint: disable=import-outside-toplevel

    from django.conf import settings as django_settings  # pylint: disable=import-outside-toplevel
    from django.db import connections  # pylint: disable=import-outside-toplevel

    for databases in (django_settings.DATABASES, connections.settings):
        database = databases["default"]
        if not database["ENGINE"].endswith("sqlite3"):
            return
        test = database.setdefault("TEST", {})
        name = str(test.get("NAME") or "")
        if not name or "memory" in name:
            test["NAME"] = os.path.join(tempfile.gettempdir(), f"openedx_credly_it_{os.getpid()}.sqlite3")
