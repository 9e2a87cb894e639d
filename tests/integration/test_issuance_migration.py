"""
The issuance migrations (0004 schema, 0005 data) move existing attempt fields into
``BadgeIssuance`` and back. Runs on SQLite here, and on MariaDB in ``test_mariadb.py``'s child run.
"""
from datetime import datetime, timezone

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("openedx_credly", "0003_error_kind_credential_expiring")]
AFTER = [("openedx_credly", "0005_issuance_data")]
EARNED = datetime(2026, 11, 25, 14, 3, tzinfo=timezone.utc)


def migrate(targets):
    """Migrate to ``targets``; returns the historical apps there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_attempt_fields_move_into_issuances_and_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("openedx_credly")
    old = migrate(BEFORE)
    try:
        user = old.get_model("auth", "User").objects.create(username="migrated", email="m@example.com")
        organization = old.get_model("openedx_credly", "CredlyOrganization").objects.create(
            name="Org", organization_id="0d3f5b8e-7c1a-4c2e-9a51-6f0e2b7d4c10")
        templates = [old.get_model("openedx_credly", "BadgeTemplate").objects.create(
            organization=organization, template_id=f"t-{n}", name=f"T{n}") for n in range(3)]
        badges = old.get_model("openedx_credly", "IssuedBadge").objects
        sent = badges.create(user=user, template=templates[0], earned_at=EARNED, state="pending",
                             credly_badge_id="b-1", attempts=2, last_error="")
        unclear = badges.create(user=user, template=templates[1], earned_at=EARNED, state="queued", attempts=3,
                                last_error="Credly could not be reached", next_attempt_at=EARNED,
                                claim_token="worker", claimed_until=EARNED)
        failed = badges.create(user=user, template=templates[2], earned_at=EARNED, state="failed", attempts=8,
                               last_error="Gave up")

        new = migrate(AFTER)
        issuances = {row.badge_id: row for row in new.get_model("openedx_credly", "BadgeIssuance").objects.all()}
        rows = {row.pk: row for row in new.get_model("openedx_credly", "IssuedBadge").objects.all()}
        assert {pk: rows[pk].current_issuance_id for pk in rows} == {pk: issuances[pk].pk for pk in rows}
        assert (issuances[sent.pk].state, issuances[sent.pk].credly_badge_id, issuances[sent.pk].attempts) == (
            "pending", "b-1", 2)
        moved = issuances[unclear.pk]
        assert (moved.state, moved.attempts, moved.claim_token, moved.last_error) == (
            "queued", 3, "worker", "Credly could not be reached")
        assert moved.outcome_unclear  # attempts were made and nothing recorded: look before sending again
        assert moved.next_attempt_at == EARNED and moved.claimed_until == EARNED
        assert issuances[failed.pk].state == "failed" and issuances[failed.pk].attempts == 8
        assert not issuances[sent.pk].outcome_unclear

        back = migrate(BEFORE)
        restored = {row.pk: row for row in back.get_model("openedx_credly", "IssuedBadge").objects.all()}
        assert (restored[unclear.pk].attempts, restored[unclear.pk].last_error, restored[unclear.pk].claim_token) == (
            3, "Credly could not be reached", "worker")
        assert restored[failed.pk].attempts == 8 and restored[sent.pk].attempts == 2
    finally:
        migrate(latest)
