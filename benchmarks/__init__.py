"""
Benchmarks of openedx-credly (``make bench``; never part of ``make test``).

Each benchmark is a module with a ``main(argv)`` that runs in its own process (the
runner in ``__main__`` starts one per benchmark), sets up its own database (a
temporary SQLite file, or MariaDB when ``DEVHOST_DB=mysql``), its own fake Credly
server process and its own Redis database number, and prints its figures. The
machine is shared and noisy, so every ratio is measured side by side in one run:
the variants are interleaved in rounds and the medians compared.

The helpers below are shared by the benchmark modules; they import Django only once
``setup_django`` has put the environment in place.
"""
# Django, Redis and the fake Credly are imported where they are used: `python -m benchmarks --help`
# works before `make requirements`, and each benchmark sets Django up with its own environment.
# pylint: disable=import-outside-toplevel
from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
#: Redis database numbers the benchmarks own (flushed before and after use).
REDIS_DB_EVENTS = int(os.environ.get("BENCH_REDIS_DB_EVENTS", "11"))
REDIS_DB_BURST = int(os.environ.get("BENCH_REDIS_DB_BURST", "12"))


@dataclass
class Check:
    """One figure compared with its target."""

    label: str
    value: float
    target: str  # e.g. "< 0.01", ">= 0.9", "== 1"
    passed: bool
    unit: str = ""

    def line(self):
        verdict = "PASS" if self.passed else "MISS"
        value = f"{self.value:.4g}" if isinstance(self.value, float) else str(self.value)
        return f"  [{verdict}] {self.label}: {value}{self.unit} (target {self.target})"


@dataclass
class Result:
    """What one benchmark reports: its checks plus free-form figures."""

    name: str
    checks: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def check(self, label, value, op, target, unit=""):
        passed = {
            "<": value < target, "<=": value <= target, ">=": value >= target, "==": value == target,
        }[op]
        self.checks.append(Check(label, value, f"{op} {target}", bool(passed), unit))

    @property
    def passed(self):
        return all(c.passed for c in self.checks)

    def dump(self, path):
        Path(path).write_text(json.dumps(asdict(self), default=str, indent=2))

    def report(self, json_path=None):
        """Print the result, and write it as JSON for the runner when asked; returns it."""
        self.print()
        if json_path:
            self.dump(json_path)
        return self

    def print(self):
        """Print the figures and each check with PASS or MISS."""
        print(f"\n== {self.name} ==")
        for key, value in self.figures.items():
            print(f"  {key}: {value}")
        for note in self.notes:
            print(f"  note: {note}")
        for check in self.checks:
            print(check.line())
        sys.stdout.flush()


def median(values):
    return statistics.median(values) if values else float("nan")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------- database


class BenchDatabase:
    """
    A throw-away database for one benchmark: a SQLite file in a temporary directory,
    or a MariaDB database of its own when ``DEVHOST_DB=mysql``.

    ``env()`` gives the variables that point the host (and worker processes) at it.
    """

    def __init__(self, label):
        self.mysql = os.environ.get("DEVHOST_DB") == "mysql"
        self.tmpdir = tempfile.mkdtemp(prefix=f"credly-bench-{label}-")
        self.name = f"credly_bench_{label}_{uuid.uuid4().hex[:6]}"
        self.sqlite_path = os.path.join(self.tmpdir, "bench.sqlite3")

    def env(self):
        if self.mysql:
            return {"DEVHOST_DB": "mysql", "DEVHOST_DB_NAME": self.name}
        return {"DEVHOST_DB": "sqlite", "DEVHOST_SQLITE_PATH": self.sqlite_path}

    @property
    def description(self):
        return f"MariaDB database {self.name}" if self.mysql else f"SQLite file {self.sqlite_path}"

    def _mysql(self, sql):
        """Run one statement on the MariaDB server, outside any database."""
        import pymysql

        with contextlib.closing(pymysql.connect(
            host=os.environ.get("DEVHOST_DB_HOST", "127.0.0.1"), port=int(os.environ.get("DEVHOST_DB_PORT", 3306)),
            user=os.environ.get("DEVHOST_DB_USER", "root"), password=os.environ.get("DEVHOST_DB_PASSWORD", ""),
        )) as conn, conn.cursor() as cursor:
            cursor.execute(sql)

    def create(self):
        if self.mysql:
            self._mysql(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")

    def drop(self):
        if self.mysql:
            self._mysql(f"DROP DATABASE IF EXISTS `{self.name}`")
        if not os.environ.get("BENCH_KEEP_TMP"):
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def run_in_database(name, title, args, run):
    """
    The ``Result`` titled ``title`` of ``run(args, result)`` in a fresh database of its own
    (``name``), with an in-memory broker; the database is dropped afterwards.
    """
    result = Result(title)
    db = BenchDatabase(name)
    try:
        setup_django(db, {"CELERY_BROKER_URL": "memory://"})
        result.figures["database"] = db.description.split(" /")[0]
        run(args, result)
    finally:
        db.drop()
    return result.report(args.json)


def setup_django(db, extra_env=None, migrate=True):
    """Point the host at ``db`` (and ``extra_env``), start Django and create the tables."""
    os.environ.update(db.env())
    os.environ.update(extra_env or {})
    os.environ["DJANGO_SETTINGS_MODULE"] = "devhost.settings"
    os.environ.setdefault("DEVHOST_DEBUG", "0")  # DEBUG records every query: not what production pays
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if migrate:
        db.create()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


# ---------------------------------------------------------------------- fake Credly


class FakeCredlyProcess:
    """``python -m fake_credly --port 0`` in its own process, so it never competes for our GIL."""

    def __init__(self):
        self.process = None
        self.url = None
        self.control = None

    def start(self):
        """Start the fake Credly server in a child process; returns self once it answers."""
        from fake_credly import FakeCredlyControl

        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [PYTHON, "-m", "fake_credly", "--port", "0"], cwd=str(ROOT),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("FAKE_CREDLY_URL="):
                self.url = line.strip().split("=", 1)[1]
                break
            if not line and self.process.poll() is not None:
                break
        if not self.url:
            self.stop()
            raise RuntimeError("the fake Credly server did not start")
        self.control = FakeCredlyControl(self.url)
        return self

    @property
    def api_base_url(self):
        return f"{self.url}/v1/"

    def settings_env(self):
        """Environment variables that point the host's Credly settings at this server."""
        env = {}
        for prefix in ("CREDLY_", "CREDLY_SANDBOX_"):
            env[f"{prefix}API_BASE_URL"] = f"{self.url}/v1/"
            env[f"{prefix}WEB_BASE_URL"] = f"{self.url}/"
            env[f"{prefix}OAUTH_TOKEN_URL"] = f"{self.url}/oauth/token"
        return env

    def stop(self):
        """Stop the child process, killing it if it does not exit."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class PrivateRedis:
    """
    A ``redis-server`` of the benchmark's own, on a free port, without persistence.

    The shared Redis on 6379 serves other people's test runs, which flush their own
    database numbers; a broker nobody else knows about cannot lose our messages.
    Falls back to ``REDIS_URL`` (a database number of ours) without ``redis-server``.
    """

    def __init__(self, fallback_db):
        self.fallback_db = fallback_db
        self.process = None
        self.url = None

    def start(self):
        """Start a private redis-server on a free port (or fall back to a database of the shared one)."""
        binary = shutil.which("redis-server")
        if not binary:
            self.url = f"{REDIS_URL}/{self.fallback_db}"
            flush_redis_db(self.fallback_db)
            return self
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while not redis_available(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        return self

    @property
    def description(self):
        return "a private redis-server" if self.process else f"Redis db {self.fallback_db}"

    def stop(self):
        """Stop the private redis-server, if one was started."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        elif not self.process and self.url:
            flush_redis_db(self.fallback_db)


def redis_available(url=REDIS_URL):
    """Whether a Redis server answers at ``url``."""
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # pylint: disable=broad-except
        return False


def flush_redis_db(number, url=REDIS_URL):
    """Empty our own Redis database ``number`` (never another's)."""
    import redis

    redis.Redis.from_url(f"{url}/{number}").flushdb()


def seed_credly(control, *, allow_duplicates=False):
    """An organization with one active template on the fake; returns (org dict, template dict)."""
    org = control.add_organization("Benchmark Academy")
    template = control.add_template(org["id"], "Benchmark Finisher", allow_duplicate_badges=allow_duplicates)
    return org, template


def seed_plugin(org, template, course_ids, trigger="certificate"):
    """The plugin's side: organization, template and one mapping per course id."""
    from opaque_keys.edx.keys import CourseKey

    from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization

    organization = CredlyOrganization.objects.create(
        name="Benchmark Academy", organization_id=org["id"], api_token=org["token"],
    )
    badge_template = BadgeTemplate.objects.create(
        organization=organization, template_id=template["id"], name=template["name"],
        allow_duplicate_badges=bool(template.get("allow_duplicate_badges")),
    )
    for course_id in course_ids:
        CourseBadgeTemplate.objects.create(
            course_id=CourseKey.from_string(course_id), template=badge_template, trigger=trigger,
        )
    return organization, badge_template


def make_users(count, prefix):
    """``count`` learner accounts in one bulk insert; returns them (with ids)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user_model.objects.bulk_create(
        [user_model(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", first_name="Bench",
                    last_name=f"Learner {i}", password="!") for i in range(count)],
        batch_size=1000,
    )
    return list(user_model.objects.filter(username__startswith=prefix).order_by("id"))
