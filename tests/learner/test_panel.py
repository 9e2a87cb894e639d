"""``GET /credly/profile/badges/``: the page framed in the profile micro-frontend."""
import json
import re

import pytest
from django.utils.translation import trans_real

from devhost.standin.models import Course
from openedx_credly.models import BadgeTemplate, IssuedBadge
from tests.learner.conftest import make_badge

URL = "/credly/profile/badges/"
MFE = "https://apps.example.com"
pytestmark = pytest.mark.django_db


def _page(client, user=None, **params):
    if user is not None:
        client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def _origins(response):
    match = re.search(r'<script id="credly-message-origins" type="application/json">(.*?)</script>',
                      response.content.decode())
    return json.loads(match.group(1))


def test_pending_and_accepted_badges_with_their_actions(client, learner, template, organization, course_key):
    Course.objects.create(course_id=str(course_key), display_name="Credly 101")
    pending = make_badge(learner, template, course_id=course_key)
    second = BadgeTemplate.objects.create(organization=organization, template_id="second", name="Data Wrangler")
    accepted = make_badge(learner, second, IssuedBadge.STATE_ACCEPTED, accept_url="")
    hidden = BadgeTemplate.objects.create(organization=organization, template_id="hidden", name="Withdrawn Badge")
    make_badge(learner, hidden, IssuedBadge.STATE_REVOKED)

    html = _page(client, learner).content.decode()

    assert '<h2 id="credly-panel-title" class="credly-panel__title">Badges Earned</h2>' in html
    assert 'data-has-badges="true"' in html
    assert "Course Finisher" in html and "Data Wrangler" in html and "Credly 101" in html
    assert "Withdrawn Badge" not in html
    assert f'href="{pending.accept_url}"' in html
    assert ">Accept on Credly</a>" in html
    assert f'href="{accepted.badge_url}"' in html
    assert ">View badge</a>" in html
    assert f'href="{pending.badge_url}"' not in html  # a pending badge offers only "Accept"
    assert 'alt="Badge: Course Finisher"' in html
    assert 'aria-label="Accept on Credly: Course Finisher (opens in a new tab)"' in html
    assert 'rel="noopener noreferrer"' in html
    assert "Earned March 14, 2026" in html


def test_names_and_descriptions_are_escaped(client, learner, organization):
    evil = BadgeTemplate.objects.create(
        organization=organization, template_id="evil", name='<script>alert("name")</script>',
        description='<img src=x onerror="alert(1)">',
    )
    make_badge(learner, evil, accept_url='https://credly.test/a?x="><script>alert(2)</script>')
    html = _page(client, learner).content.decode()
    assert '<script>alert("name")</script>' not in html
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<script>alert(2)</script>" not in html
    # The only scripts are our own JSON data (allowed origins, the parent's) and the protocol.
    assert html.count("<script") == 3


def test_javascript_urls_never_become_links(client, learner, template):
    make_badge(learner, template, accept_url="javascript:alert(1)")
    html = _page(client, learner).content.decode()
    assert "javascript:" not in html
    assert "Accept on Credly</a>" not in html


def test_anonymous_gets_an_empty_page_not_a_redirect(client, learner, template):
    make_badge(learner, template)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-has-badges="false"' in html
    assert "Badges Earned</h2>" not in html
    assert "credly-card" not in html.split("<body", 1)[1].split("<script", 1)[0]


def test_learner_without_badges_gets_nothing_visible(client, learner, template):
    make_badge(learner, template, IssuedBadge.STATE_REJECTED)
    make_badge(learner, BadgeTemplate.objects.create(organization=template.organization, template_id="q", name="Q"),
               IssuedBadge.STATE_QUEUED)
    html = _page(client, learner).content.decode()
    body = html.split("<body", 1)[1].split("<script", 1)[0]
    assert 'data-has-badges="false"' in html
    assert "<section" not in body and "<h2" not in body


def test_someone_elses_profile_shows_nothing(client, learner, other_learner, template):
    # The slot is also on other people's profiles: never show the viewer's own badges there.
    make_badge(learner, template)
    make_badge(other_learner, template)
    html = _page(client, learner, username="grace").content.decode()
    assert 'data-has-badges="false"' in html


def test_staff_may_see_a_learners_panel(client, staff, learner, template):
    badge = make_badge(learner, template)
    html = _page(client, staff, username="ada").content.decode()
    assert f'data-badge-id="{badge.credly_badge_id}"' in html
    assert badge.accept_url and badge.accept_url not in html  # the learner's alone, as in the APIs
    assert badge.accept_url in _page(client, learner).content.decode()


def test_frame_headers_with_configured_origins(client, learner, settings):
    settings.CREDLY_PROFILE_FRAME_ANCESTORS = [f"{MFE}/", "https://Profile.Example.org:8443", "not a url",
                                               "https://evil.example.com; script-src *"]
    response = _page(client, learner)
    assert response["Content-Security-Policy"] == (
        f"frame-ancestors 'self' {MFE} https://profile.example.org:8443"
    )
    assert "X-Frame-Options" not in response
    assert _origins(response) == ["http://testserver", MFE, "https://profile.example.org:8443"]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_frame_headers_without_configured_origins(client, learner, settings):
    settings.CREDLY_PROFILE_FRAME_ANCESTORS = []
    response = _page(client, learner)
    assert response["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert _origins(response) == ["http://testserver"]


def test_anonymous_page_has_the_same_frame_headers(client, settings):
    settings.CREDLY_PROFILE_FRAME_ANCESTORS = [MFE]
    response = client.get(URL)
    assert response["Content-Security-Policy"] == f"frame-ancestors 'self' {MFE}"
    assert "X-Frame-Options" not in response


def test_protocol_always_posts_ready_to_the_parent_origin(client, learner):
    html = _page(client, learner).content.decode()
    assert 'window.parent.postMessage({ type: "PLUGIN_MOUNTED" }, parentOrigin);' in html
    assert '\n    window.parent.postMessage({ type: "PLUGIN_READY" }, parentOrigin);' in html
    assert "hasBadges" not in html
    assert "new URL(document.referrer).origin" in html
    assert "origins.indexOf(parentOrigin) === -1" in html
    assert '"*"' not in html  # never a wildcard target


def test_only_get(client, learner):
    client.force_login(learner)
    assert client.post(URL).status_code == 405


def test_page_is_in_the_learners_language(client, learner, template):
    make_badge(learner, template)
    client.force_login(learner)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert '<html lang="fr"' in html
    # Django's own French month names: the date follows the learner's language.
    assert "14 mars 2026" in html


def test_strings_go_through_gettext(client, learner, template, monkeypatch):
    make_badge(learner, template)
    catalog = {"Badges Earned": "Insignes obtenus", "Accept on Credly": "Accepter sur Credly"}
    real = trans_real.gettext

    monkeypatch.setattr("django.utils.translation._trans.gettext",
                        lambda message: catalog.get(message, real(message)))
    html = _page(client, learner).content.decode()
    assert "Insignes obtenus</h2>" in html
    assert ">Accepter sur Credly</a>" in html


def _parent(response):
    match = re.search(r'<script id="credly-parent-origin" type="application/json">(.*?)</script>',
                      response.content.decode())
    return json.loads(match.group(1))


def test_the_empty_state_is_one_line(client, learner, other_learner):
    own = _page(client, learner).content.decode()
    body = own.split("<body", 1)[1].split("<script", 1)[0]
    assert '<p class="credly-empty">No badges yet: the badges you earn will show here.</p>' in body
    assert "<section" not in body and "<h2" not in body
    others = _page(client, learner, username="grace").content.decode()
    assert '<p class="credly-empty">No badges to show.</p>' in others
    client.logout()
    assert '<p class="credly-empty">No badges to show.</p>' in client.get(URL).content.decode()


def test_parent_origin_from_the_referer_or_the_parent_parameter_only_when_allowed(client, learner, settings):
    settings.CREDLY_PROFILE_FRAME_ANCESTORS = [MFE]
    client.force_login(learner)
    assert _parent(client.get(URL, HTTP_REFERER=f"{MFE}/")) == MFE
    assert _parent(client.get(URL, {"parent": MFE})) == MFE
    assert _parent(client.get(URL, {"parent": "HTTPS://Apps.Example.com"})) == MFE
    # Not allowed, or the LMS itself (the referrer after paging inside the frame): no parent.
    assert _parent(client.get(URL, {"parent": "https://evil.example.com"})) == ""
    assert _parent(client.get(URL, HTTP_REFERER="https://evil.example.com/")) == ""
    assert _parent(client.get(URL, HTTP_REFERER="http://testserver/credly/profile/badges/")) == ""
    assert _parent(client.get(URL, {"parent": "http://testserver"})) == ""
    assert _parent(client.get(URL, {"parent": "javascript:alert(1)//"})) == ""


def test_paging_links_carry_the_parent_origin(client, learner, organization, settings):
    settings.CREDLY_PROFILE_FRAME_ANCESTORS = [MFE]
    settings.CREDLY_BADGES_PAGE_SIZE = 1
    for number in range(3):
        template = BadgeTemplate.objects.create(organization=organization, template_id=f"p{number}", name=f"B{number}")
        make_badge(learner, template)
    client.force_login(learner)
    html = client.get(URL, {"page": 2}, HTTP_REFERER=f"{MFE}/").content.decode()
    assert 'href="?page=1&amp;parent=https%3A//apps.example.com"' in html
    assert 'href="?page=3&amp;parent=https%3A//apps.example.com"' in html
    # The next page, whose referrer is the LMS page itself, still knows its parent.
    html = client.get(URL, {"page": 3, "parent": MFE},
                      HTTP_REFERER="http://testserver/credly/profile/badges/?page=2").content.decode()
    assert 'href="?page=2&amp;parent=https%3A//apps.example.com"' in html
    assert "\"https://apps.example.com\"</script>" in html
