"""
The Badges Earned widget in headless Chromium, inside the real frontend-plugin-framework
``PluginSlot`` of a stand-in profile page (``tests/learner/profile_mfe_urls.py``), put
there by the slot config the npm package ships, and talking to the dev host's API as a
signed-in learner.

The bundle is ``frontend/browser-test/build/bundle.js`` (``make frontend-bundle``).
"""
from datetime import datetime, timezone

import pytest
from opaque_keys.edx.keys import CourseKey
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from devhost.standin.models import Course, Preference
from openedx_credly.models import BadgeTemplate, CredlyOrganization, IssuedBadge
from tests.conftest import make_learner, require_service
from tests.learner.conftest import make_badge
from tests.learner.profile_mfe_urls import BUNDLE, BUNDLE_CSS, PARAGON_CSS
from tests.learner.test_panel_browser import ARTIFACTS, log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mfe(live_server, settings):
    """The stand-in profile MFE on the live dev host; returns the URL of a profile page."""
    require_service(BUNDLE.exists() and BUNDLE_CSS.exists() and PARAGON_CSS.exists(),
                    "the widget's browser bundle is needed: run `make frontend-bundle`")
    settings.ROOT_URLCONF = "tests.learner.profile_mfe_urls"
    settings.CREDLY_IMPORT_ON_FIRST_VIEW = False
    # The badge images are served by the live server, standing in for Credly's web host (over
    # http, as the fake Credly is): only URLs of a configured Credly host are shown.
    settings.CREDLY_SANDBOX_WEB_BASE_URL = f"{live_server.url}/"
    return lambda username, locale="en", width=570: (
        f"{live_server.url}/profile-mfe/u/{username}?locale={locale}&width={width}")


def seed(learner, live_server):
    organization = CredlyOrganization.objects.create(name="Open edX Academy",
                                                     organization_id="11111111-2222-3333-4444-555555555555")
    rows = {}
    for slug, name, course, state in (
        ("python", "Python Fundamentals", "course-v1:Academy+PY101+2026", IssuedBadge.STATE_PENDING),
        ("data", "Data Analysis Capstone", "course-v1:Academy+DA201+2026", IssuedBadge.STATE_ACCEPTED),
        ("cloud", "Cloud Practitioner", None, IssuedBadge.STATE_ACCEPTED),
    ):
        template = BadgeTemplate.objects.create(organization=organization, template_id=f"tmpl-{slug}", name=name)
        key = CourseKey.from_string(course) if course else None
        if key:
            Course.objects.create(course_id=course, display_name=f"{name} course")
        rows[slug] = make_badge(learner, template, state, course_id=key,
                                image_url=f"{live_server.url}/profile-mfe/images/{slug}.svg")
    return rows


def answered(browser):
    """Whether the widget's first request to the API has its answer."""
    return browser.execute_script(
        "var requests = window.credlyRequests || [];"
        " return requests.length > 0 && requests.every(function (r) { return r.done; });")


def slot_html(browser):
    return browser.execute_script("return document.getElementById('slot').innerHTML;")


def open_profile(browser, url):
    browser.get(url)
    wait_for(browser, lambda d: d.find_element(By.ID, "slot") is not None, "the profile page did not load")
    wait_for(browser, answered, "the widget never got its answer from the API")


def test_the_owner_sees_their_badges_in_the_slot(browser, live_server, mfe):
    learner = make_learner()
    badges = seed(learner, live_server)
    log_in(browser, live_server, learner)
    open_profile(browser, mfe("ada"))

    heading = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#slot h2"), "no heading")[0]
    assert heading.text == "Badges Earned"
    requests = browser.execute_script("return window.credlyRequests;")
    assert requests[0]["status"] == 200
    assert "/api/credly/v1/users/ada/badges/" in requests[0]["url"]
    names = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#slot h3")]
    assert sorted(names) == ["Cloud Practitioner", "Data Analysis Capstone", "Python Fundamentals"]
    accept = browser.find_element(By.LINK_TEXT, "Accept on Credly")
    assert accept.get_attribute("href") == badges["python"].accept_url
    views = browser.find_elements(By.LINK_TEXT, "View badge")
    assert sorted(link.get_attribute("href") for link in views) == sorted(
        [badges["data"].badge_url, badges["cloud"].badge_url])
    assert browser.find_element(By.XPATH, "//*[text()='Pending acceptance']").is_displayed()
    images = browser.find_elements(By.CSS_SELECTOR, "#slot img")
    assert {image.get_attribute("alt") for image in images} == {
        "Badge: Python Fundamentals", "Badge: Data Analysis Capstone", "Badge: Cloud Practitioner"}
    wait_for(browser, lambda d: all(d.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images),
             "badge images did not load")
    assert not browser.find_elements(By.CSS_SELECTOR, ".spinner-border, [aria-busy='true']")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "profile-widget.png"))


def test_the_widget_speaks_french(browser, live_server, mfe):
    learner = make_learner()
    seed(learner, live_server)
    log_in(browser, live_server, learner)
    open_profile(browser, mfe("ada", locale="fr"))
    heading = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#slot h2"), "no heading")[0]
    assert heading.text == "Badges obtenus"
    assert browser.find_element(By.LINK_TEXT, "Accepter sur Credly")


def test_an_owner_without_badges_leaves_the_slot_empty(browser, live_server, mfe):
    learner = make_learner(username="nobadge", email="nobadge@example.com")
    log_in(browser, live_server, learner)
    open_profile(browser, mfe("nobadge"))
    wait_for(browser, lambda d: slot_html(d) == "", "the slot is not empty")
    assert browser.execute_script("return window.credlyRequests[0].status;") == 200
    assert not browser.find_elements(By.CSS_SELECTOR, ".spinner-border, [aria-busy='true']")
    assert browser.find_element(By.ID, "slot").size["height"] == 0


def test_a_visitor_sees_only_the_accepted_badges_of_a_public_profile(browser, live_server, mfe):
    owner = make_learner()
    badges = seed(owner, live_server)
    Preference.objects.create(user=owner, key="account_privacy", value="all_users")
    visitor = make_learner(username="grace", email="grace@example.com")
    log_in(browser, live_server, visitor)
    open_profile(browser, mfe("ada"))

    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#slot h2"), "no heading")
    names = sorted(element.text for element in browser.find_elements(By.CSS_SELECTOR, "#slot h3"))
    assert names == ["Cloud Practitioner", "Data Analysis Capstone"]
    assert not browser.find_elements(By.LINK_TEXT, "Accept on Credly")
    assert "Pending acceptance" not in browser.find_element(By.ID, "slot").text
    assert badges["python"].accept_url not in browser.page_source
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "profile-widget-visitor.png"))


def test_a_visitor_sees_nothing_of_a_private_profile(browser, live_server, mfe):
    owner = make_learner()
    seed(owner, live_server)
    Preference.objects.create(user=owner, key="account_privacy", value="private")
    visitor = make_learner(username="grace", email="grace@example.com")
    log_in(browser, live_server, visitor)
    open_profile(browser, mfe("ada"))
    wait_for(browser, lambda d: slot_html(d) == "", "the slot is not empty")
    assert browser.execute_script("return window.credlyRequests[0].status;") == 200

    # The same visitor sees the badges once the owner makes the profile public: the empty slot was privacy's doing.
    Preference.objects.filter(user=owner).update(value="all_users")
    open_profile(browser, mfe("ada"))
    wait_for(browser, lambda d: "Data Analysis Capstone" in slot_html(d), "the public profile's badges never showed")


# ------------------------------------------------------------------ the cards in their column

LONG_BADGES = (
    ("python", "Python Fundamentals for Data Engineering and Scientific Computing", "course-v1:Academy+PY101+2026",
     "Python 101: Foundations of Programming with Real-World Projects and Automated Testing",
     IssuedBadge.STATE_PENDING, None),
    ("data", "Data Analysis Capstone", "course-v1:Academy+DA201+2026",
     "Data Analysis with pandas", IssuedBadge.STATE_ACCEPTED, datetime(2027, 9, 30, tzinfo=timezone.utc)),
    ("cloud", "Cloud Practitioner", None, None, IssuedBadge.STATE_ACCEPTED, None),
    ("ml", "Machine Learning Operations: Deploying, Monitoring and Retraining Models at Scale",
     "course-v1:Academy+ML301+2026", "MLOps", IssuedBadge.STATE_ACCEPTED, datetime(2025, 9, 30, tzinfo=timezone.utc)),
)

# Every element that holds text, and the checks the page runs on each card.
CARD_REPORT = """
var cards = Array.prototype.slice.call(document.querySelectorAll('#slot .credly-badge'));
return cards.map(function (card) {
  var overflowing = Array.prototype.slice.call(card.querySelectorAll('h3, p, span, a'))
    .filter(function (el) {
      return el.scrollWidth > el.clientWidth + 0.5 && getComputedStyle(el).display !== 'inline';
    })
    .map(function (el) { return el.className + ': ' + el.textContent; });
  var inlineOut = Array.prototype.slice.call(card.querySelectorAll('span, a')).filter(function (el) {
    var box = el.getBoundingClientRect(), frame = card.getBoundingClientRect();
    return box.right > frame.right + 0.5 || box.left < frame.left - 0.5;
  }).map(function (el) { return el.textContent; });
  var dates = Array.prototype.slice.call(card.querySelectorAll('.credly-card__date')).map(function (el) {
    return el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight);
  });
  var name = card.querySelector('h3');
  return {width: card.getBoundingClientRect().width, overflowing: overflowing, inlineOut: inlineOut, dates: dates,
          nameLines: Math.round(name.getBoundingClientRect().height / parseFloat(getComputedStyle(name).lineHeight)),
          nameTitle: name.getAttribute('title'), nameClipped: name.scrollHeight > name.clientHeight + 0.5};
});
"""


def seed_long_names(learner, live_server):
    organization = CredlyOrganization.objects.create(name="Open edX Academy",
                                                     organization_id="11111111-2222-3333-4444-555555555555")
    for slug, name, course, course_name, state, expires_at in LONG_BADGES:
        template = BadgeTemplate.objects.create(organization=organization, template_id=f"tmpl-{slug}", name=name)
        key = CourseKey.from_string(course) if course else None
        if key:
            Course.objects.create(course_id=course, display_name=course_name)
        make_badge(learner, template, state, course_id=key, expires_at=expires_at,
                   image_url=f"{live_server.url}/profile-mfe/images/{slug}.svg")


@pytest.mark.parametrize("width,columns", [(570, 1), (1140, 3)], ids=["half-column", "full-width"])
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_cards_fit_the_column_they_are_given(browser, live_server, mfe, *, width, columns, locale):
    """The profile's half column at 1400 px (570 px) and a full-width body (1140 px): nothing cut, no card too thin."""
    learner = make_learner()
    seed_long_names(learner, live_server)
    log_in(browser, live_server, learner)
    browser.set_window_size(1400, 1100)
    open_profile(browser, mfe("ada", locale=locale, width=width))
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#slot .credly-badge")) == len(LONG_BADGES),
             "the cards never showed")
    images = browser.find_elements(By.CSS_SELECTOR, "#slot img")
    wait_for(browser, lambda d: all(d.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images),
             "badge images did not load")

    grid = browser.find_element(By.CSS_SELECTOR, "#slot .credly-card-grid")
    assert grid.get_attribute("data-columns") == str(columns)
    assert browser.execute_script("return document.getElementById('column').getBoundingClientRect().width") == width
    report = browser.execute_script(CARD_REPORT)
    for card in report:
        assert card["width"] >= 336, card
        assert card["overflowing"] == [] and card["inlineOut"] == [], card
        assert all(lines < 1.5 for lines in card["dates"]), card  # each date on one line
        assert card["nameLines"] <= 2, card
    long_name = next(card for card in report if card["nameTitle"].startswith("Machine Learning Operations"))
    assert long_name["nameTitle"] == LONG_BADGES[3][1]  # the full name, for the ellipsis's reader
    # The profile's rhythm: 40 px between its last field and the section's heading.
    gap = browser.execute_script(
        "return document.querySelector('#slot h2').getBoundingClientRect().top"
        " - document.getElementById('profile-fields').getBoundingClientRect().bottom;")
    assert gap == 40

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"profile-widget-{width}px-{locale}.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


# ------------------------------------------------------------------ who sees the badges


def test_the_owner_hides_the_badges_then_shows_them_again(browser, live_server, mfe):
    """Under ``custom`` (as the profile leaves it after the owner's first visit), the owner chooses in the widget."""
    owner = make_learner()
    seed(owner, live_server)
    for key, value in (("account_privacy", "custom"), ("visibility.course_certificates", "all_users")):
        Preference.objects.create(user=owner, key=key, value=value)
    visitor = make_learner(username="grace", email="grace@example.com")

    log_in(browser, live_server, owner)
    open_profile(browser, mfe("ada"))
    choice = Select(wait_for(browser, lambda d: d.find_element(By.ID, "credly-badges-visibility"), "no choice"))
    assert choice.first_selected_option.text == "Everyone on Open edX Academy"
    choice.select_by_value("private")
    wait_for(browser, lambda d: d.execute_script(
        "var r = window.credlyRequests.filter(function (x) { return x.method === 'PATCH'; });"
        " return r.length === 1 && r[0].done;"), "the choice was never saved")
    patch = browser.execute_script(
        "return window.credlyRequests.filter(function (x) { return x.method === 'PATCH'; })[0];")
    assert patch["status"] == 204 and patch["url"].endswith("/api/user/v1/preferences/ada")
    assert Preference.objects.get(user=owner, key="visibility.credly_badges").value == "private"
    assert Select(browser.find_element(By.ID, "credly-badges-visibility")).first_selected_option.text == "Just me"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "profile-widget-owner-choice.png"))

    browser.delete_all_cookies()
    log_in(browser, live_server, visitor)
    open_profile(browser, mfe("ada"))
    wait_for(browser, lambda d: slot_html(d) == "", "a visitor still sees the hidden badges")

    browser.delete_all_cookies()
    log_in(browser, live_server, owner)
    open_profile(browser, mfe("ada"))
    Select(wait_for(browser, lambda d: d.find_element(By.ID, "credly-badges-visibility"), "no choice")
           ).select_by_value("all_users")
    wait_for(browser, lambda d: d.execute_script(
        "return window.credlyRequests.some(function (x) { return x.method === 'PATCH' && x.done; });"),
        "the second choice was never saved")
    browser.delete_all_cookies()
    log_in(browser, live_server, visitor)
    open_profile(browser, mfe("ada"))
    wait_for(browser, lambda d: "Data Analysis Capstone" in slot_html(d), "the visitor never saw the badges again")
    assert "credly-badges-visibility" not in slot_html(browser)
