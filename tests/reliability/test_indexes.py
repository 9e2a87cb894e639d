"""
The hot queries read through an index, never a full scan: on SQLite here, on MariaDB in a
child pytest (``DEVHOST_DB=mysql``, as ``tests/integration/test_mariadb.py`` does).

Each case runs the plugin's real code over a few thousand rows (so that MariaDB's
optimizer, after ``ANALYZE TABLE``, chooses as it would on a big site) and EXPLAINs every
SELECT it made on the hot tables. To cover another query, add a case to ``CASES``.
"""
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openedx_credly.issuing import issuance
from openedx_credly.learners import retirement
from openedx_credly.models import (
    BadgeIssuance,
    BadgeTemplate,
    CredlyErrorLog,
    CredlyOrganization,
    IssuedBadge,
    WebhookEvent,
)
from openedx_credly.operators import retention
from openedx_credly.syncing import refresh, webhooks
from tests.conftest import require_service
from tests.integration import harness
from tests.reliability.query_plans import captured_selects, full_scans

BADGES = IssuedBadge._meta.db_table
ISSUANCES = BadgeIssuance._meta.db_table
EVENTS = WebhookEvent._meta.db_table
ERRORS = CredlyErrorLog._meta.db_table
ROWS = 3000


@pytest.fixture(scope="module")
def big_site_rows(django_db_setup, django_db_blocker):  # pylint: disable=unused-argument
    """
    ``big_site``'s rows, written and committed once for the module (ANALYZE TABLE commits on MariaDB,
    and writing them took seconds per test), then deleted as a transactional test's are (``flush``).
    """
    def flush():
        call_command("flush", verbosity=0, interactive=False, reset_sequences=False, allow_cascade=False,
                     inhibit_post_migrate=False)

    with django_db_blocker.unblock():
        try:
            organization = write_big_site()
        except BaseException:
            flush()
            raise
    yield organization.pk
    with django_db_blocker.unblock():
        flush()


@pytest.fixture
def big_site(big_site_rows, db):
    """
    The first organization of the big site. The test runs in a transaction rolled back after it
    (``db``): what it changes, no other test sees.
    """
    yield CredlyOrganization.objects.get(pk=big_site_rows)
    # A callback waits for a commit that never comes here: such a case needs rows of its own.
    assert not connection.run_on_commit, "an on_commit callback would not run: give this case transactional_db"


def write_big_site():
    """Organizations, a template, ROWS badges in every state, ROWS webhook events of every outcome, error entries."""
    now = timezone.now()
    organizations = [CredlyOrganization.objects.create(name=f"Org {n}", organization_id=f"org-{n}", api_token="t")
                     for n in range(4)]
    templates = [BadgeTemplate.objects.create(organization=org, template_id=f"t-{n}", name=f"T{n}")
                 for n, org in enumerate(organizations)]
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        user_model(username=f"u{n}", email=f"u{n}@example.com") for n in range(ROWS // 10))
    states = ["accepted"] * 6 + ["pending", "queued", "failed", "revoked"]
    IssuedBadge.objects.bulk_create(
        IssuedBadge(user=users[n // 10], template=templates[n % 4], course_id=f"course-v1:O+C{n % 10}+1",
                    state=states[n % 10], credly_badge_id="" if states[n % 10] == "queued" else f"b-{n}",
                    earned_at=now - timedelta(days=n % 400))
        for n in range(ROWS)
    )
    # Every badge but one in ten (queued, never tried) has its issuance, as the state machine leaves them.
    BadgeIssuance.objects.bulk_create(
        BadgeIssuance(badge=badge, state=badge.state, credly_badge_id=badge.credly_badge_id,
                      next_attempt_at=now - timedelta(minutes=n % 50) if badge.state == "queued" else None)
        for n, badge in enumerate(IssuedBadge.objects.order_by("pk")) if n % 20 != 7
    )
    IssuedBadge.objects.update(
        current_issuance_id=Subquery(BadgeIssuance.objects.filter(badge_id=OuterRef("pk")).values("pk")[:1]))
    outcomes = ["applied"] * 7 + ["ignored", "unconfirmed", "deferred"]
    WebhookEvent.objects.bulk_create(
        WebhookEvent(organization=organizations[n % 4], event_id=f"e-{n}", outcome=outcomes[n % 10],
                     processed_at=None if outcomes[n % 10] == "deferred" else now - timedelta(minutes=n),
                     queued_at=None if outcomes[n % 10] == "deferred" else now - timedelta(minutes=n))
        for n in range(ROWS)
    )
    CredlyErrorLog.objects.bulk_create(
        CredlyErrorLog(organization=organizations[n % 4], kind="webhook", error=f"e{n}",
                       learner=users[n % len(users)] if n % 3 else None) for n in range(ROWS))
    WebhookEvent.objects.update(received_at=now - timedelta(days=1))
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            for table in (BADGES, ISSUANCES, EVENTS, ERRORS):
                cursor.execute(f"ANALYZE TABLE {table}")
                cursor.fetchall()
    return organizations[0]


def _admin_page(model, params=None):
    """The admin changelist of ``model`` as a superuser sees it (its queries are what is checked)."""
    user_model = get_user_model()
    admin_user = user_model.objects.filter(username="scale-admin").first() or user_model.objects.create_superuser(
        "scale-admin", "scale-admin@example.com", "!")
    client = Client()
    client.force_login(admin_user)
    response = client.get(reverse(f"admin:openedx_credly_{model}_changelist"), params or {})
    assert response.status_code == 200


def _retire_a_learner():
    retirement.retire_user(get_user_model().objects.get(username="u7"))


# (name, the code that runs the query, the tables it must not scan)
CASES = [
    ("queued badges of a reconnected organization", lambda org: issuance.waiting_badge_ids(org.pk), [BADGES]),
    ("retirement of a learner", lambda org: _retire_a_learner(), [BADGES, ISSUANCES, ERRORS]),
    ("admin: issued badges", lambda org: _admin_page("issuedbadge"), [BADGES]),
    ("admin: issued badges of an organization",
     lambda org: _admin_page("issuedbadge", {"organization": str(org.pk)}), [BADGES]),
    ("admin: failed badges", lambda org: _admin_page("issuedbadge", {"state__exact": "failed"}), [BADGES]),
    ("admin: badges earned this month", lambda org: _admin_page("issuedbadge", {"earned": "month"}), [BADGES]),
    ("admin: issued badges searched", lambda org: _admin_page("issuedbadge", {"q": "u7"}), [BADGES]),
    ("admin: Credly errors", lambda org: _admin_page("credlyerrorlog"), [ERRORS]),
    ("admin: webhook events", lambda org: _admin_page("webhookevent"), [EVENTS]),
    ("admin: webhook event searched", lambda org: _admin_page("webhookevent", {"q": "e-7"}), [EVENTS]),
    ("webhook flood budget", lambda org: webhooks.fetch_budget(org), [EVENTS]),
    ("release of deferred webhook events", lambda org: webhooks.release_deferred(), [EVENTS]),
    ("refresh of pending badges", lambda org: refresh.pending_badge_ids(limit=500), [BADGES]),
    ("sweeper's due badges", lambda org: issuance.due_badge_ids(), [BADGES, ISSUANCES]),
    ("sweeper's due revocations", lambda org: issuance.revocations_due(), [ISSUANCES]),
    ("pruning", lambda org: retention.prune(dry_run=True), [EVENTS, ERRORS]),
]


@pytest.mark.parametrize("name,run,tables", CASES, ids=[case[0] for case in CASES])
def test_hot_query_uses_an_index(big_site, name, run, tables, settings):
    settings.CREDLY_WEBHOOK_UNCONFIRMED_LIMIT = 0  # the release then only counts, it enqueues nothing
    statements = [sql for sql in captured_selects(run, big_site) if any(table in sql for table in tables)]
    assert statements, f"{name}: no query on {tables} was captured"
    for sql in statements:
        assert not full_scans(sql, tables), f"{name} ({connection.vendor}) scans a whole table:\n{sql}"


def test_a_query_without_an_index_is_caught(big_site):
    """The check itself: filtering on a column without an index is reported as a full scan."""
    sql = captured_selects(lambda: list(IssuedBadge.objects.filter(recipient_name="x").values_list("pk")))[0]
    assert full_scans(sql, [BADGES])


def test_the_same_on_mariadb():
    """Runs this module again in a child pytest on MariaDB (the production database of Open edX)."""
    if connection.vendor == "mysql":
        pytest.skip("this is the MariaDB run")
    require_service(harness.mariadb_available(), "MariaDB does not answer on 127.0.0.1:3306 as root")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DEVHOST_DB", "DEVHOST_SQLITE", "DEVHOST_SETTINGS", "PYTEST_"))}
    env.update({"DEVHOST_DB": "mysql", "DEVHOST_DB_TEST_NAME": f"test_openedx_credly_idx_{os.getpid()}"})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-rfEs", "-p", "no:cacheprovider",
         "-k", "not test_the_same_on_mariadb"],
        cwd=harness.ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) == len(CASES) + 1, output[-3000:]
