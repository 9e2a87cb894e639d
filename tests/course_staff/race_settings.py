"""
Test settings for the threaded race test on a file-based SQLite.

SQLite refuses (at once, whatever the busy timeout) a transaction that read and then
wants to write while another one writes; ``BEGIN IMMEDIATE`` makes them queue instead,
as a real database's row locks would. Only the child run of test_concurrent_posts uses it.
"""
import django

from test_settings import *  # noqa: F401,F403  pylint: disable=wildcard-import,unused-wildcard-import

if DATABASES["default"]["ENGINE"].endswith("sqlite3") and django.VERSION >= (5, 1):  # noqa: F405
    DATABASES["default"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}),  # noqa: F405
                                       "transaction_mode": "IMMEDIATE"}
