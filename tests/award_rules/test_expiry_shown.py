"""Expiry as learners see it: the badges API (expires_at, is_expired) and the panel ("Expires …", "Expired")."""
from datetime import timedelta

import pytest
from django.utils import timezone

from openedx_credly.models import BadgeTemplate, IssuedBadge
from tests.learner.conftest import make_badge

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_badges(learner, template, organization):
    """One that never expires, one that will, one that has."""
    others = [BadgeTemplate.objects.create(organization=organization, template_id=f"t-{n}", name=f"Badge {n}")
              for n in (2, 3)]
    now = timezone.now()
    return {
        "forever": make_badge(learner, template),
        "later": make_badge(learner, others[0], IssuedBadge.STATE_ACCEPTED, expires_at=now + timedelta(days=400)),
        "gone": make_badge(learner, others[1], IssuedBadge.STATE_ACCEPTED, expires_at=now - timedelta(days=3)),
    }


def test_api_exposes_expires_at_and_is_expired(client, learner, three_badges):
    client.force_login(learner)
    results = {item["id"]: item for item in client.get("/api/credly/v1/badges/").json()["results"]}
    assert len(results) == 3  # expired badges are listed, not hidden
    forever, later, gone = (results[three_badges[key].credly_badge_id] for key in ("forever", "later", "gone"))
    assert (forever["expires_at"], forever["is_expired"]) == (None, False)
    assert later["expires_at"] and later["is_expired"] is False
    assert gone["expires_at"] and gone["is_expired"] is True


def test_panel_says_expires_and_labels_expired(client, learner, three_badges):
    client.force_login(learner)
    html = client.get("/credly/profile/badges/").content.decode()
    later = timezone.localtime(three_badges["later"].expires_at)
    assert "Expires " in html and str(later.year) in html
    assert html.count('data-expired="true"') == 1
    assert 'credly-state--expired">Expired</span>' in html
    assert html.count('class="credly-card__date credly-card__expiry"') == 2  # the stylesheet names the class too
