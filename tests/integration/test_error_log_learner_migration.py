"""
Migration 0013 links existing error-log entries about a badge to the badge's learner (so that
her retirement finds them through the index), and leaves other entries without a learner.
"""
from datetime import datetime, timezone
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.integration.test_issuance_migration import migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("openedx_credly", "0011_issued_badge_milestone")]
AFTER = [("openedx_credly", "0013_scale_indexes_and_error_log_learner")]


def test_entries_about_a_badge_are_linked_to_its_learner(monkeypatch):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("openedx_credly")
    old = migrate(BEFORE)
    try:
        users = old.get_model("auth", "User").objects
        ada, grace = users.create(username="ada-m"), users.create(username="grace-m")
        organization = old.get_model("openedx_credly", "CredlyOrganization").objects.create(
            name="Org", organization_id="0d3f5b8e-7c1a-4c2e-9a51-6f0e2b7d4c10")
        template = old.get_model("openedx_credly", "BadgeTemplate").objects.create(
            organization=organization, template_id="t-m", name="T")
        badges = old.get_model("openedx_credly", "IssuedBadge").objects
        earned = datetime(2026, 11, 25, tzinfo=timezone.utc)
        theirs = {user.pk: badges.create(user=user, template=template, earned_at=earned, state="failed")
                  for user in (ada, grace)}
        entries = old.get_model("openedx_credly", "CredlyErrorLog").objects
        # More entries than one batch, so that the batches are walked.
        monkeypatch.setattr(import_module("openedx_credly.migrations.0013_scale_indexes_and_error_log_learner"),
                            "BATCH", 2)
        about = [entries.create(organization=organization, kind="issuance_failed", error="x",
                                badge=theirs[user.pk]) for user in (ada, grace, ada, grace, ada)]
        unlinked = entries.create(organization=organization, kind="learner_data", error="no badge")

        new = migrate(AFTER)
        linked = dict(new.get_model("openedx_credly", "CredlyErrorLog").objects.values_list("pk", "learner_id"))
        assert [linked[entry.pk] for entry in about] == [ada.pk, grace.pk, ada.pk, grace.pk, ada.pk]
        assert linked[unlinked.pk] is None
    finally:
        migrate(latest)
