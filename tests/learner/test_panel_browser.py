"""
The panel in headless Chromium, framed the way frontend-plugin-framework frames an
``IFRAME_PLUGIN``: hidden (``d-none``) until the page posts ``PLUGIN_READY``, then sent
``PLUGIN_RESIZE``; the frame's height is the documented stylesheet rule (or ``?height=``).
The host page is served on another port (another origin of the same site, like the
profile MFE beside the LMS), so the messages really cross origins.
"""
import threading
from datetime import datetime, timezone
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client
from opaque_keys.edx.keys import CourseKey
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from devhost.standin.models import Course
from openedx_credly.models import BadgeTemplate, CredlyOrganization, IssuedBadge
from tests.conftest import make_learner
from tests.learner.conftest import make_badge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT = 15

HOST_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Profile of ada</title>
<style>
  body { margin: 0; background: #f2f0ef; font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
  header { background: #fff; border-bottom: 1px solid #e1dddb; padding: 16px 24px; font-weight: 700; }
  main { max-width: 1040px; margin: 24px auto; padding: 24px; background: #fff; border-radius: 6px; }
  h1 { margin: 0 0 8px; font-size: 1.75rem; } p { margin: 0 0 24px; color: #5c5c5c; }
  .d-none { display: none !important; } .w-100 { width: 100%; } .border-0 { border: 0 !important; }
  iframe { height: __HEIGHT__px; display: block; }
</style></head>
<body>
<header>Open edX Academy</header>
<main>
  <h1>Ada Lovelace</h1><p>Member since 2026 &middot; London</p>
  <iframe id="plugin" title="Badges Earned" src="__PANEL__" class="border border-0 w-100 d-none"
          referrerpolicy="origin"></iframe>
</main>
<script>
  // What PluginContainerIframe does: listen to the frame's window only, reveal on PLUGIN_READY,
  // send PLUGIN_RESIZE (to the plugin URL) once mounted and whenever the frame's box changes.
  window.pluginEvents = [];
  var frame = document.getElementById("plugin");
  var mounted = false;
  function sendSize() {
    if (!mounted) { return; }
    frame.contentWindow.postMessage(
      { type: "PLUGIN_RESIZE", payload: { width: frame.clientWidth, height: frame.clientHeight } }, frame.src);
  }
  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow) { return; }
    window.pluginEvents.push({ type: event.data.type, origin: event.origin });
    if (event.data.type === "PLUGIN_MOUNTED") { mounted = true; sendSize(); }
    if (event.data.type === "PLUGIN_READY") { frame.classList.remove("d-none"); }
  });
  new ResizeObserver(sendSize).observe(frame);
</script>
</body></html>
"""

BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120">
<polygon points="60,4 108,32 108,88 60,116 12,88 12,32" fill="__COLOR__"/>
<polygon points="60,18 96,39 96,81 60,102 24,81 24,39" fill="#fff" opacity=".22"/>
<text x="60" y="70" font-family="Arial" font-size="30" font-weight="700" fill="#fff"
      text-anchor="middle">__LABEL__</text>
</svg>"""
COLORS = {"python": ("#0a3055", "PY"), "data": ("#9d0054", "DA"), "cloud": ("#0d7d4d", "CL")}


class _HostHandler(BaseHTTPRequestHandler):
    """Serves the host page and the badge images."""

    def __init__(self, *args, panel_url, **kwargs):
        self.panel_url = panel_url
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 - http.server's naming
        path, query = urlsplit(self.path).path, parse_qs(urlsplit(self.path).query)
        if path.startswith("/images/") and path.endswith(".svg"):
            color, label = COLORS.get(path[len("/images/"):-4], ("#5c5c5c", "?"))
            self._send(BADGE_SVG.replace("__COLOR__", color).replace("__LABEL__", label), "image/svg+xml")
        elif path == "/profile/":
            height = query.get("height", ["440"])[0]
            page = HOST_PAGE.replace("__PANEL__", self.panel_url)
            page = page.replace("__HEIGHT__", height if height.isdigit() else "440")
            self._send(page, "text/html; charset=utf-8")
        else:
            self.send_error(404)

    def _send(self, text, content_type):
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def host_site(live_server, settings):
    """The stand-in profile MFE: same host name as the LMS (live server), another port."""
    hostname = urlsplit(live_server.url).hostname
    server = ThreadingHTTPServer(
        (hostname, 0), partial(_HostHandler, panel_url=f"{live_server.url}/credly/profile/badges/"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://{hostname}:{server.server_address[1]}"
    settings.CREDLY_PROFILE_FRAME_ANCESTORS = [origin]
    settings.CREDLY_IMPORT_ON_FIRST_VIEW = False
    yield origin
    server.shutdown()
    server.server_close()


def log_in(browser, live_server, user):
    """Give the browser the session of ``user`` (a cookie of the LMS host, as after logging in)."""
    client = Client()
    client.force_login(user)
    browser.get(f"{live_server.url}/credly/profile/badges/")
    browser.add_cookie({"name": django_settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value, "path": "/"})


def wait_for(browser, condition, message):
    return WebDriverWait(browser, WAIT).until(condition, message=message)


def events(browser):
    return browser.execute_script("return window.pluginEvents.map(function (e) { return e.type; });")


def seed_badges(learner, host_origin):
    organization = CredlyOrganization.objects.create(name="Open edX Academy",
                                                     organization_id="11111111-2222-3333-4444-555555555555")
    rows = {}
    for slug, name, course, course_name, earned, state in (
        ("python", "Python Fundamentals", "course-v1:Academy+PY101+2026", "Python 101: Foundations",
         datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc), IssuedBadge.STATE_PENDING),
        ("data", "Data Analysis Capstone", "course-v1:Academy+DA201+2026", "Data Analysis with pandas",
         datetime(2026, 1, 20, 9, 0, tzinfo=timezone.utc), IssuedBadge.STATE_ACCEPTED),
        ("cloud", "Cloud Practitioner <Level 1>", None, None,
         datetime(2025, 11, 5, 12, 0, tzinfo=timezone.utc), IssuedBadge.STATE_ACCEPTED),
    ):
        template = BadgeTemplate.objects.create(
            organization=organization, template_id=f"tmpl-{slug}", name=name,
            description=f"Awarded for completing {name}, with hands-on projects reviewed by staff.",
        )
        key = CourseKey.from_string(course) if course else None
        if key:
            Course.objects.create(course_id=course, display_name=course_name)
        rows[slug] = make_badge(learner, template, state, course_id=key, earned_at=earned,
                                image_url=f"{host_origin}/images/{slug}.svg")
    return rows


def test_panel_revealed_for_a_learner_with_badges(browser, live_server, host_site):
    learner = make_learner()
    badges = seed_badges(learner, host_site)
    log_in(browser, live_server, learner)

    browser.get(f"{host_site}/profile/")
    frame = browser.find_element(By.ID, "plugin")
    wait_for(browser, lambda d: "d-none" not in frame.get_attribute("class"), "the panel was never revealed")
    assert events(browser)[:2] == ["PLUGIN_MOUNTED", "PLUGIN_READY"]
    origins = browser.execute_script("return window.pluginEvents.map(function (e) { return e.origin; });")
    assert set(origins) == {live_server.url}

    browser.switch_to.frame(frame)
    assert browser.find_element(By.TAG_NAME, "h2").text == "Badges Earned"
    accept = browser.find_element(By.LINK_TEXT, "Accept on Credly")
    assert accept.get_attribute("href") == badges["python"].accept_url
    assert accept.get_attribute("target") == "_blank"
    views = browser.find_elements(By.LINK_TEXT, "View badge")
    assert sorted(link.get_attribute("href") for link in views) == sorted(
        [badges["data"].badge_url, badges["cloud"].badge_url])
    assert "Cloud Practitioner <Level 1>" in browser.page_source.replace("&lt;", "<").replace("&gt;", ">")
    images = browser.find_elements(By.CSS_SELECTOR, "img.credly-card__image")
    wait_for(browser, lambda d: all(d.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images),
             "badge images did not load")
    accept.send_keys("")  # focus: the focus ring must show in the screenshot
    columns = browser.execute_script(
        "return getComputedStyle(document.querySelector('.credly-grid')).gridTemplateColumns.split(' ').length;")
    assert columns >= 2
    browser.switch_to.default_content()

    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "profile-panel.png"))
    assert (ARTIFACTS / "profile-panel.png").stat().st_size > 10_000


def test_panel_adapts_to_a_narrow_frame(browser, live_server, host_site):
    learner = make_learner()
    seed_badges(learner, host_site)
    log_in(browser, live_server, learner)
    browser.set_window_size(440, 900)
    browser.get(f"{host_site}/profile/")
    frame = browser.find_element(By.ID, "plugin")
    wait_for(browser, lambda d: "d-none" not in frame.get_attribute("class"), "the panel was never revealed")
    browser.switch_to.frame(frame)
    # PLUGIN_RESIZE told the page its width: one column.
    wait_for(browser, lambda d: d.execute_script("return document.documentElement.classList.contains('is-narrow')"),
             "PLUGIN_RESIZE was not applied")
    columns = browser.execute_script(
        "return getComputedStyle(document.querySelector('.credly-grid')).gridTemplateColumns.split(' ').length;")
    assert columns == 1
    browser.switch_to.default_content()
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "profile-panel-narrow.png"))


def test_a_learner_without_badges_gets_a_one_line_empty_state_not_a_spinner(browser, live_server, host_site):
    learner = make_learner(username="nobadge", email="nobadge@example.com")
    log_in(browser, live_server, learner)
    browser.get(f"{host_site}/profile/")
    frame = browser.find_element(By.ID, "plugin")
    # FPF shows its spinner until PLUGIN_READY: the page must post it even with nothing to show.
    wait_for(browser, lambda d: "d-none" not in frame.get_attribute("class"), "the panel was never revealed")
    assert events(browser)[:2] == ["PLUGIN_MOUNTED", "PLUGIN_READY"]
    browser.switch_to.frame(frame)
    empty = browser.find_element(By.CSS_SELECTOR, ".credly-empty")
    assert empty.text == "No badges yet: the badges you earn will show here."
    assert empty.size["height"] <= 24
    assert not browser.find_elements(By.TAG_NAME, "h2")


def test_an_anonymous_visitor_gets_the_empty_state(browser, live_server, host_site):
    browser.get(f"{host_site}/profile/")
    wait_for(browser, lambda d: "PLUGIN_READY" in events(d), "the panel never said it was ready")
    assert "d-none" not in browser.find_element(By.ID, "plugin").get_attribute("class")
    browser.switch_to.frame(browser.find_element(By.ID, "plugin"))
    assert browser.find_element(By.CSS_SELECTOR, ".credly-empty").text == "No badges to show."


def test_a_host_that_is_not_allowed_cannot_frame_the_panel(browser, live_server, host_site, settings):
    learner = make_learner()
    seed_badges(learner, host_site)
    log_in(browser, live_server, learner)
    settings.CREDLY_PROFILE_FRAME_ANCESTORS = ["https://profile.example.org"]
    browser.get(f"{host_site}/profile/")
    # The frame loads (Chromium shows its error page in it: frame-ancestors refused it) ...
    wait_for(browser, lambda d: d.execute_script(
        "return performance.getEntriesByType('resource').some(function (e) {"
        " return e.name.indexOf('/credly/profile/badges/') !== -1 && e.responseEnd > 0; })"),
        "the frame was never requested")
    browser.switch_to.frame(browser.find_element(By.ID, "plugin"))
    assert "Badges Earned" not in browser.page_source
    browser.switch_to.default_content()
    # ... and never says a word to the host.
    assert events(browser) == []
    assert "d-none" in browser.find_element(By.ID, "plugin").get_attribute("class")

    # The same page, once the host is allowed, is revealed: the refusal above was the setting's doing.
    settings.CREDLY_PROFILE_FRAME_ANCESTORS = [host_site]
    browser.get(f"{host_site}/profile/")
    wait_for(browser, lambda d: "PLUGIN_READY" in events(d), "the allowed host was not sent PLUGIN_READY")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_documented_height_fits_one_row_exactly(browser, live_server, host_site, lang):
    learner = make_learner()
    seed_badges(learner, host_site)
    log_in(browser, live_server, learner)
    browser.add_cookie({"name": django_settings.LANGUAGE_COOKIE_NAME, "value": lang, "path": "/"})
    # docs/learner_panel.rst: iframe[title="Badges Earned"] { height: 310px; }
    browser.get(f"{host_site}/profile/?height=310")
    frame = browser.find_element(By.ID, "plugin")
    wait_for(browser, lambda d: "d-none" not in frame.get_attribute("class"), "the panel was never revealed")
    assert frame.size["height"] == 310
    browser.switch_to.frame(frame)
    columns = browser.execute_script(
        "return getComputedStyle(document.querySelector('.credly-grid')).gridTemplateColumns.split(' ').length;")
    assert columns == 3
    sizes = browser.execute_script(
        "var root = document.documentElement; return [root.scrollHeight, root.clientHeight,"
        " document.querySelector('.credly-grid').getBoundingClientRect().bottom];")
    assert sizes[0] == sizes[1] == 310, sizes  # no scrollbar ...
    assert 310 - 8 - 1 <= sizes[2] <= 310 - 8 + 1, sizes  # ... and no gap: the row ends at the body's padding
    for card in browser.find_elements(By.CSS_SELECTOR, ".credly-card"):
        footer = card.find_element(By.CSS_SELECTOR, ".credly-card__footer")
        assert footer.rect["y"] + footer.rect["height"] <= card.rect["y"] + card.rect["height"]  # nothing clipped
    browser.switch_to.default_content()
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"profile-panel-one-row-{lang}.png"))


def test_after_older_badges_the_page_still_speaks_to_the_profile(browser, live_server, host_site, settings):
    settings.CREDLY_BADGES_PAGE_SIZE = 2
    learner = make_learner()
    seed_badges(learner, host_site)
    log_in(browser, live_server, learner)
    browser.set_window_size(440, 900)
    browser.get(f"{host_site}/profile/")
    frame = browser.find_element(By.ID, "plugin")
    wait_for(browser, lambda d: "d-none" not in frame.get_attribute("class"), "the panel was never revealed")
    browser.switch_to.frame(frame)
    browser.find_element(By.LINK_TEXT, "Older badges").click()

    def location(driver):  # the frame's, not the top page's (driver.current_url)
        return driver.execute_script("return window.location.href;")

    wait_for(browser, lambda d: "page=2" in location(d), "Older badges did not load the next page")
    assert f"parent={quote(host_site, safe='')}" in location(browser)
    # The second page's referrer is the LMS page; its messages must still reach the MFE ...
    browser.switch_to.default_content()
    wait_for(browser, lambda d: events(d).count("PLUGIN_READY") == 2, "the second page never reached the host")
    assert events(browser).count("PLUGIN_MOUNTED") == 2
    # ... and it still reads the host's PLUGIN_RESIZE.
    browser.switch_to.frame(frame)
    wait_for(browser, lambda d: d.execute_script("return document.documentElement.classList.contains('is-narrow')"),
             "PLUGIN_RESIZE was not applied on the second page")


def test_a_description_below_an_expiry_line_ends_with_an_ellipsis_inside_its_card(browser, live_server, host_site):
    """The expiry line takes one of the description's two lines: one line, ended with an ellipsis, never cut."""
    learner = make_learner()
    badges = seed_badges(learner, host_site)
    IssuedBadge.objects.filter(pk=badges["data"].pk).update(expires_at=datetime(2027, 9, 30, tzinfo=timezone.utc))
    log_in(browser, live_server, learner)
    browser.get(f"{host_site}/profile/")
    frame = browser.find_element(By.ID, "plugin")
    wait_for(browser, lambda d: "d-none" not in frame.get_attribute("class"), "the panel was never revealed")
    browser.switch_to.frame(frame)
    report = browser.execute_script("""
        function lines(el) { return el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight); }
        return Array.prototype.map.call(document.querySelectorAll('.credly-card'), function (card) {
          var text = card.querySelector('.credly-card__description'), body = card.querySelector('.credly-card__body');
          return {id: card.dataset.badgeId, expires: Boolean(card.querySelector('.credly-card__expiry')),
                  lines: Math.round(lines(text)), clamp: getComputedStyle(text).webkitLineClamp,
                  inside: text.getBoundingClientRect().bottom <= body.getBoundingClientRect().bottom + 0.5,
                  title: text.getAttribute('title')};
        });""")
    browser.switch_to.default_content()
    by_id = {card["id"]: card for card in report}
    expiring = by_id[badges["data"].credly_badge_id]
    assert expiring["expires"] and expiring["clamp"] == "1" and expiring["lines"] == 1 and expiring["inside"]
    assert expiring["title"].startswith("Awarded for completing Data Analysis Capstone")
    assert all(card["inside"] and card["lines"] <= 2 for card in report), report
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "profile-panel-expiry.png"))
