"""Template sync against the fake Credly, and the warning before a token expires."""
from datetime import timedelta

import pytest
from django.utils import timezone

from openedx_credly.models import BadgeTemplate, CredlyErrorLog, CredlyOrganization
from openedx_credly.syncing import template_sync


@pytest.fixture
def fake_org(use_fake_credly, db):
    seeded = use_fake_credly.state.add_organization(name="Fake Academy")
    organization = CredlyOrganization.objects.create(
        name="Fake Academy", organization_id=seeded["id"], api_token=seeded["token"], use_sandbox=True,
    )
    return use_fake_credly, seeded, organization


def test_sync_reads_every_page_and_archives_the_rest(fake_org):
    fake, seeded, organization = fake_org
    for index in range(120):  # three pages of 50
        fake.state.add_template(seeded["id"], name=f"Template {index:03}")
    archived = fake.state.add_template(seeded["id"], name="Old", state="archived")
    BadgeTemplate.objects.create(organization=organization, template_id=archived["id"], name="Old")

    assert template_sync.sync_templates(organization) == (120, 1)
    assert BadgeTemplate.objects.filter(state="active").count() == 120
    assert BadgeTemplate.objects.get(template_id=archived["id"]).state == "archived"
    organization.refresh_from_db()
    assert organization.templates_synced_at is not None


def test_sync_failure_keeps_templates_and_logs(fake_org):
    fake, _seeded, organization = fake_org
    BadgeTemplate.objects.create(organization=organization, template_id="kept", name="Kept")
    fake.state.add_faults({"status": 500, "count": 5})
    assert template_sync.sync_templates(organization) is None
    assert BadgeTemplate.objects.get().state == "active"
    assert CredlyErrorLog.objects.get().kind == CredlyErrorLog.KIND_SYNC_FAILED


def test_token_expiring_soon_is_warned_once_a_day(fake_org):
    fake, seeded, organization = fake_org
    fake.state.add_token(seeded["id"], "soon-expiring-token-wxyz",
                         expires_at=(timezone.now() + timedelta(days=5)).isoformat())
    organization.api_token = "soon-expiring-token-wxyz"
    organization.save()

    template_sync.sync_templates(organization)
    template_sync.sync_templates(organization)

    entry = CredlyErrorLog.objects.get(kind=CredlyErrorLog.KIND_CREDENTIAL_EXPIRING)
    assert "expires on" in entry.details
    assert "soon-expiring-token" not in entry.details


def test_token_far_from_expiry_is_not_warned(fake_org):
    _fake, _seeded, organization = fake_org  # the seeded token lasts 180 days
    template_sync.sync_templates(organization)
    assert not CredlyErrorLog.objects.filter(kind=CredlyErrorLog.KIND_CREDENTIAL_EXPIRING).exists()


def test_token_expiry_bound_without_last_four(organization):
    now = timezone.now()
    tokens = [{"expires_at": (now + timedelta(days=3)).isoformat()},
              {"expires_at": (now + timedelta(days=40)).isoformat()}]
    assert template_sync.token_expiry(organization, tokens) > now + timedelta(days=39)
