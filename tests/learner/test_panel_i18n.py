"""The panel speaks the learner's language: translated strings and dates."""
from datetime import datetime, timezone

from openedx_credly.models import IssuedBadge


def test_panel_in_french(client, learner, template, course_key):
    IssuedBadge.objects.create(user=learner, template=template, course_id=course_key, state="pending",
                               credly_badge_id="b-fr", accept_url="https://credly.test/accept/b-fr",
                               earned_at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    client.force_login(learner)
    page = client.get("/credly/profile/badges/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Badges obtenus" in page
    assert "Accepter sur Credly" in page
    assert "2 mars 2026" in page
    assert 'lang="fr"' in page


def test_panel_in_english_by_default(client, learner, template, course_key):
    IssuedBadge.objects.create(user=learner, template=template, course_id=course_key, state="pending",
                               credly_badge_id="b-en", accept_url="https://credly.test/accept/b-en",
                               earned_at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    client.force_login(learner)
    page = client.get("/credly/profile/badges/").content.decode()
    assert "Badges Earned" in page and "March 2, 2026" in page
