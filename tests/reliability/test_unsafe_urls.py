"""
URLs from Credly: only https (and http on a host where Credly is configured over http)
enter the database, the API answers, the panel and the admin.
"""
import pytest
from django.test import Client

from openedx_credly.issuing import credly_records
from openedx_credly.issuing.credly_records import credly_fields
from openedx_credly.models import BadgeTemplate, IssuedBadge
from openedx_credly.safe_urls import credly_url
from openedx_credly.syncing import refresh, template_sync, webhooks
from tests.conftest import COURSE, TEMPLATE_ID, make_learner

UNSAFE = [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=", "vbscript:msgbox(1)", "//evil.example/x.png", "/relative/x.png",
    "https://user:pw@evil.example/x.png", "https:///nohost", "http://evil.example/x.png", "ftp://credly.test/x",
    "https://credly.test/x\nSet-Cookie: a=b", "https://credly.test/" + "x" * 1000, "https://[::1/x", "",
    None, 12, ["https://credly.test/x"], {"url": "https://credly.test/x"},
]
SAFE = ["https://credly.test/images/x.png", "https://images.credly.com/size/680x680/images/abc/x.png",
        "HTTPS://Credly.test/x?y=1#z"]


@pytest.mark.parametrize("value", UNSAFE)
def test_unsafe_urls_read_as_empty(value):
    assert credly_url(value) == ""


@pytest.mark.parametrize("value", SAFE)
def test_https_urls_pass(value):
    assert credly_url(value) == value


def test_http_only_on_a_host_where_credly_is_configured_over_http(settings):
    assert credly_url("http://127.0.0.1:9999/images/x.svg") == ""
    settings.CREDLY_SANDBOX_API_BASE_URL = "http://127.0.0.1:9999/v1/"
    assert credly_url("http://127.0.0.1:9999/images/x.svg") == "http://127.0.0.1:9999/images/x.svg"
    assert credly_url("http://127.0.0.1:9998/images/x.svg") == ""  # another port is another host
    assert credly_url("http://evil.example/x.svg") == ""


# ------------------------------------------------------------------ where they enter


def template_data(**urls):
    return {"id": TEMPLATE_ID, "name": "Finisher", "state": "active", **urls}


def badge_data(badge_id="b-1", **urls):
    return {"id": badge_id, "state": "pending", "badge_template": {"id": TEMPLATE_ID},
            "issued_at": "2026-11-25 14:03:00 +0000", "recipient_email": "ada@example.com", **urls}


def test_template_sync_and_template_webhooks_store_no_unsafe_url(organization):
    template = template_sync.upsert_template(organization, template_data(image_url="javascript:alert(1)",
                                                                         url="data:text/html,<script>x</script>"))
    assert (template.image_url, template.url) == ("", "")
    webhooks.apply_event(organization, "badge_template.changed", {"badge_template": template_data(
        image={"url": "javascript:alert(2)"}, url="https://credly.test/org/badge/finisher")})
    template.refresh_from_db()
    assert (template.image_url, template.url) == ("", "https://credly.test/org/badge/finisher")


def test_issue_answers_keep_no_unsafe_url():
    fields = credly_fields({"id": "b-1", "state": "pending", "accept_badge_url": "javascript:alert(1)",
                            "badge_url": "https://credly.test/badges/b-1", "image": {"url": "vbscript:x"}})
    assert (fields["accept_url"], fields["badge_url"], fields["image_url"]) == (
        "", "https://credly.test/badges/b-1", "")


def test_imports_webhook_badges_and_refreshes_store_no_unsafe_url(template, learner):
    outcome = refresh.import_credly_badge(template.organization, badge_data(
        accept_badge_url="javascript:alert(1)", badge_url="javascript:alert(2)", image_url="javascript:alert(3)"))
    assert outcome == refresh.CREATED
    badge = IssuedBadge.objects.get()
    assert (badge.accept_url, badge.badge_url, badge.image_url) == ("", "", "")
    webhooks.apply_event(template.organization, "badge.state.changed", {"badge": badge_data(
        accept_badge_url="https://credly.test/accept/b-1", badge_url="java\nscript:alert(4)",
        state_updated_at="2026-11-26 10:00:00 +0000")})
    badge.refresh_from_db()
    assert (badge.accept_url, badge.badge_url) == ("https://credly.test/accept/b-1", "")
    credly_records.apply_credly_badge(badge, badge_data(accept_badge_url="data:text/html,x",
                                                        state_updated_at="2026-11-27 10:00:00 +0000"))
    badge.refresh_from_db()
    assert badge.accept_url == ""


# ------------------------------------------------------------------ where stored ones are shown


@pytest.fixture
def legacy_template(organization):
    """A template stored before URLs were checked."""
    return BadgeTemplate.objects.create(organization=organization, template_id=TEMPLATE_ID, name="Old",
                                        image_url="javascript:alert('img')", url="javascript:alert('url')")


def test_course_staff_api_never_returns_a_javascript_url(legacy_template, course_key):
    staff = make_learner(username="root", email="root@example.com", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.post(f"/api/credly/v1/courses/{COURSE}/badge-templates/", {"template_id": TEMPLATE_ID},
                       content_type="application/json").status_code == 201
    for url in ("/api/credly/v1/templates/", f"/api/credly/v1/courses/{COURSE}/badge-templates/",
                f"/api/credly/v1/courses/{COURSE}/badge-templates/{TEMPLATE_ID}/"):
        response = client.get(url)
        assert response.status_code == 200
        assert b"javascript:" not in response.content, url


def test_admin_never_renders_a_javascript_url(legacy_template, course_key):
    staff = make_learner(username="root", email="root@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    pages = ["/admin/openedx_credly/badgetemplate/",
             f"/admin/openedx_credly/badgetemplate/{legacy_template.pk}/change/",
             "/admin/openedx_credly/coursebadgetemplate/add/"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert b"javascript:alert('img')" not in response.content, page
        assert b"javascript:alert(&#x27;img&#x27;)" not in response.content, page


def test_admin_never_links_a_javascript_url(legacy_template, learner, course_key):
    IssuedBadge.objects.create(user=learner, template=legacy_template, course_id=course_key, state="pending",
                               credly_badge_id="b-1", earned_at="2026-11-25T14:03:00Z",
                               accept_url="javascript:alert('accept')", badge_url="javascript:alert('badge')")
    staff = make_learner(username="root", email="root@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    badge = IssuedBadge.objects.get()
    for page in (f"/admin/openedx_credly/badgetemplate/{legacy_template.pk}/change/",
                 f"/admin/openedx_credly/issuedbadge/{badge.pk}/change/", "/admin/openedx_credly/issuedbadge/"):
        content = client.get(page).content.decode()
        assert 'href="javascript:' not in content, page
        assert 'src="javascript:' not in content, page
