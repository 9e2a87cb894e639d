"""A learner with many badges gets them a page at a time, in the API and in the panel."""
from datetime import datetime, timedelta, timezone

import pytest

from openedx_credly.models import BadgeTemplate, IssuedBadge

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def many_badges(learner, organization):
    for number in range(30):
        template = BadgeTemplate.objects.create(organization=organization, template_id=f"t-{number:02}",
                                                name=f"Badge {number:02}")
        IssuedBadge.objects.create(user=learner, template=template, course_id=f"course-v1:Org+C{number}+1",
                                   state="accepted", credly_badge_id=f"b-{number:02}",
                                   badge_url=f"https://credly.test/badges/b-{number:02}",
                                   earned_at=START + timedelta(days=number))
    return learner


def test_api_pages_newest_first(client, many_badges):
    client.force_login(many_badges)
    first = client.get("/api/credly/v1/badges/?page_size=20").json()
    assert first["count"] == 30
    assert [item["id"] for item in first["results"]][:2] == ["b-29", "b-28"]
    assert len(first["results"]) == 20 and first["previous"] is None
    second = client.get(first["next"]).json()
    assert [item["id"] for item in second["results"]][-1] == "b-00"
    assert len(second["results"]) == 10 and second["next"] is None
    assert "page=1" in second["previous"]


def test_api_default_page_size_is_the_setting(client, many_badges, settings):
    settings.CREDLY_BADGES_PAGE_SIZE = 7
    client.force_login(many_badges)
    assert len(client.get("/api/credly/v1/badges/").json()["results"]) == 7


@pytest.mark.parametrize("query", ["page=0", "page=x", "page_size=101", "page_size=-1", "page_size=abc"])
def test_api_rejects_bad_paging(client, many_badges, query):
    client.force_login(many_badges)
    response = client.get(f"/api/credly/v1/badges/?{query}")
    assert response.status_code == 400
    assert "developer_message" in response.json()


def test_panel_links_older_and_newer_pages(client, many_badges, settings):
    settings.CREDLY_BADGES_PAGE_SIZE = 12
    client.force_login(many_badges)
    first = client.get("/credly/profile/badges/").content.decode()
    assert first.count('class="credly-card"') == 12
    assert "Older badges" in first and "Newer badges" not in first
    assert "Page 1, 30 badges in all" in first
    last = client.get("/credly/profile/badges/?page=3").content.decode()
    assert last.count('class="credly-card"') == 6
    assert "Newer badges" in last and "Older badges" not in last
