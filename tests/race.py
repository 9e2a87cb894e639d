"""
Races between real threads need a database that several connections share for real:
MariaDB (``DEVHOST_DB=mysql``) or a SQLite file in ``BEGIN IMMEDIATE`` mode
(tests/course_staff/race_settings.py). Elsewhere such a test runs in child pytests on both.
"""
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import django
import pytest
from django.db import connection, connections

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[1]


def shares_a_real_database():
    """MariaDB, or a SQLite file whose transactions queue for the write lock (see race_settings.py)."""
    if connection.vendor == "mysql":
        return True
    name = str(connection.settings_dict["NAME"])
    immediate = connection.settings_dict.get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE"
    return connection.vendor == "sqlite" and immediate and "memory" not in name and name != ":memory:"


def mariadb_reachable():
    """Whether something listens on MariaDB's port."""
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=2):
            return True
    except OSError:
        return False


def run_in_child(test_id, database, tmp_path, *, mariadb_test_name):
    """Run the threaded test ``test_id`` (path::name) in a child pytest on ``database`` ("sqlite-file" or "mariadb")."""
    if shares_a_real_database():
        pytest.skip("the threaded test runs directly on this database")
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEVHOST_DB")}
    if database == "mariadb":
        require_service(mariadb_reachable(), "MariaDB is not running on 127.0.0.1:3306")
        env.update(DEVHOST_DB="mysql", DEVHOST_DB_TEST_NAME=mariadb_test_name)
    else:
        if django.VERSION < (5, 1):
            pytest.skip("SQLite's BEGIN IMMEDIATE needs Django 5.1 or later")
        env["DEVHOST_SQLITE_TEST_PATH"] = str(tmp_path / "race.sqlite3")
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--create-db", "--ds", "tests.course_staff.race_settings", test_id],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
    assert "1 passed" in child.stdout


def race(work, count, timeout=60):
    """
    Run ``work(number, barrier)`` in ``count`` threads, each with its own database connection;
    ``work`` waits on the barrier where the threads must meet. Returns the errors raised.
    """
    barrier = threading.Barrier(count)
    errors = []

    def run(number):
        try:
            work(number, barrier)
        except Exception as error:  # pylint: disable=broad-except
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors


def transactions_overlap():
    """
    Whether two transactions of this database can both write before either commits (MariaDB).

    On a SQLite file in ``BEGIN IMMEDIATE`` mode a second writer waits for the first one's
    commit: a barrier inside both transactions would never open, so a race test meets
    before its transactions there.
    """
    return connection.vendor == "mysql"
