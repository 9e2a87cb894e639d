"""
Course badges in headless Chromium, inside the real frontend-plugin-framework ``PluginSlot``s
of a stand-in learning MFE (``tests/learner/learning_mfe_urls.py``), put there by the slot
config the npm package ships, and talking to the dev host's API as a signed-in learner.

The Progress tab's side panel (360 px, on a large screen), its main body (below the large
breakpoint, where frontend-app-learning moves the certificate status), and the course exit
page (1140 px wide), with long names: no text leaves its card. Screenshots are kept in
``test-artifacts/``. The bundle is ``frontend/browser-test/build/course-bundle.js``
(``make frontend-bundle``).
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey
from selenium.webdriver.common.by import By

from devhost.standin.models import Course, CourseGrade
from openedx_credly.models import (
    BadgeTemplate,
    CourseBadgeTemplate,
    CredlyOrganization,
    IssuedBadge,
    LearningPath,
    LearningPathCourse,
    LearningPathProgress,
)
from tests.conftest import make_learner, require_service
from tests.learner.conftest import make_badge
from tests.learner.learning_mfe_urls import COURSE_BUNDLE, PARAGON_CSS
from tests.learner.test_panel_browser import ARTIFACTS, log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = "course-v1:Academy+PY101+2026"
LONG_NAME = "Python Fundamentals with Distinction: Advanced Statistical Modelling and Machine Learning Practitioner"
UNBROKEN_NAME = "Pythonprogrammingfundamentalsandbeyond-Supercalifragilistic-Specialisation"
PATH_NAME = "Data Analyst Professional Pathway for International Learners and Career Changers"

# Every element of every card lies within its card; the widget within its slot.
OVERFLOWS = """
var bad = [];
document.querySelectorAll('.credly-course-badge').forEach(function (card) {
  var box = card.getBoundingClientRect();
  if (card.scrollWidth > card.clientWidth + 1) { bad.push('card scrolls: ' + card.dataset.templateId); }
  card.querySelectorAll('*').forEach(function (element) {
    var rect = element.getBoundingClientRect();
    if (rect.width && (rect.left < box.left - 1 || rect.right > box.right + 1)) {
      bad.push(element.tagName + ' ' + (element.textContent || '').slice(0, 40));
    }
  });
});
document.querySelectorAll('.credly-course-badges').forEach(function (widget) {
  var slot = widget.parentElement.getBoundingClientRect(), rect = widget.getBoundingClientRect();
  if (rect.right > slot.right + 1 || rect.left < slot.left - 1) { bad.push('widget leaves its slot'); }
});
return bad;
"""


@pytest.fixture(name="learning_mfe")
def fixture_learning_mfe(live_server, settings):
    """The stand-in learning MFE on the live dev host; returns the URL of a page of a course."""
    require_service(COURSE_BUNDLE.exists() and PARAGON_CSS.exists(),
                    "the widget's browser bundle is needed: run `make frontend-bundle`")
    settings.ROOT_URLCONF = "tests.learner.learning_mfe_urls"
    settings.CREDLY_IMPORT_ON_FIRST_VIEW = False
    # Badge images served by the live server, standing in for Credly's web host.
    settings.CREDLY_SANDBOX_WEB_BASE_URL = f"{live_server.url}/"

    def url(page="progress", course=COURSE, **params):
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return f"{live_server.url}/learning-mfe/course/{course}/{page}" + (f"?{query}" if query else "")
    return url


def seed(learner, live_server):
    """ada's course: a badge in each status, with long names, and a learning path half done."""
    organization = CredlyOrganization.objects.create(name="Open edX Academy",
                                                     organization_id="11111111-2222-3333-4444-555555555555")
    key = CourseKey.from_string(COURSE)
    Course.objects.create(course_id=COURSE, display_name="Python 101")
    CourseGrade.objects.create(user=learner, course_id=key, percent_grade=0.72)

    def template(slug, name):
        return BadgeTemplate.objects.create(organization=organization, template_id=f"t-{slug}", name=name,
                                            image_url=f"{live_server.url}/profile-mfe/images/{slug}.svg")

    distinction = template("python", LONG_NAME)
    CourseBadgeTemplate.objects.create(course_id=key, template=distinction, min_grade=Decimal("90"),
                                       modes=["verified"], expires_in_months=24)
    rows = {}
    for slug, name, state in (("data", UNBROKEN_NAME, IssuedBadge.STATE_PENDING),
                              ("cloud", "Cloud Practitioner", IssuedBadge.STATE_ACCEPTED),
                              ("queued", "Course Finisher", IssuedBadge.STATE_QUEUED)):
        row = template(slug, name)
        CourseBadgeTemplate.objects.create(course_id=key, template=row, trigger=CourseBadgeTemplate.TRIGGER_PASSING)
        rows[slug] = make_badge(learner, row, state, course_id=key, image_url=row.image_url,
                                expires_at=timezone.now() + timedelta(days=700) if slug == "cloud" else None)
    path = LearningPath.objects.create(name=PATH_NAME, template=template("path", f"{PATH_NAME} badge"))
    for number, course in enumerate([COURSE, "course-v1:Academy+DA1+2026", "course-v1:Academy+DA2+2026",
                                     "course-v1:Academy+DA3+2026"]):
        LearningPathCourse.objects.create(path=path, course_id=CourseKey.from_string(course))
        if number < 2:
            LearningPathProgress.objects.create(user=learner, path=path, course_id=CourseKey.from_string(course),
                                                achieved_at=timezone.now())
    return rows


def answered(browser):
    """Whether the widget's requests to the API have their answers."""
    return browser.execute_script(
        "var requests = window.credlyRequests || [];"
        " return requests.length > 0 && requests.every(function (r) { return r.done; });")


def open_page(browser, url, width, height=1800):
    browser.set_window_size(width, height)
    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.ID, "root"), "the page did not load")
    wait_for(browser, answered, "the widget never got its answer from the API")


def widget_in(browser, container_id):
    return browser.find_elements(By.CSS_SELECTOR, f"#{container_id} .credly-course-badges")


def wait_for_images(browser):
    images = browser.find_elements(By.CSS_SELECTOR, ".credly-course-badges img")
    wait_for(browser, lambda d: all(d.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images),
             "badge images did not load")


def shoot(browser, name):
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / name))


def test_a_360_px_side_panel_on_a_large_screen(browser, live_server, learning_mfe):
    learner = make_learner()
    badges = seed(learner, live_server)
    log_in(browser, live_server, learner)
    open_page(browser, learning_mfe(side=360), 1280)

    widget = wait_for(browser, lambda d: widget_in(d, "side-panel-slot"), "no widget in the side panel")[0]
    assert not widget_in(browser, "main-body-slot")
    assert browser.find_element(By.CSS_SELECTOR, "#side-panel-slot [data-testid='certificate-status']")
    assert widget.find_element(By.TAG_NAME, "h2").text == "Course badges"
    assert abs(widget.size["width"] - 360) <= 1
    assert widget.get_attribute("data-columns") == "1"
    requests = browser.execute_script("return window.credlyRequests;")
    assert len(requests) == 1 and requests[0]["status"] == 200
    assert "/api/credly/v1/courses/course-v1%3AAcademy%2BPY101%2B2026/badges/" in requests[0]["url"]

    statuses = {card.get_attribute("data-template-id"): card.get_attribute("data-status")
                for card in widget.find_elements(By.CSS_SELECTOR, ".credly-course-badge")}
    assert statuses == {"t-python": "not_yet", "t-data": "pending", "t-cloud": "accepted", "t-queued": "issuing",
                        "t-path": "not_yet"}
    text = widget.text
    assert "Earn a verified certificate with a grade of 90% or more" in text
    assert "Your grade: 72% (90% needed)" in text
    assert "Valid for 24 months once earned" in text
    assert f"Complete all 4 courses of the {PATH_NAME} path" in text
    assert "2 of 4 courses completed" in text
    assert "Being issued" in text
    accept = widget.find_element(By.LINK_TEXT, "Accept on Credly")
    assert accept.get_attribute("href") == badges["data"].accept_url
    assert widget.find_element(By.LINK_TEXT, "View badge").get_attribute("href") == badges["cloud"].badge_url
    wait_for_images(browser)
    assert browser.execute_script(OVERFLOWS) == []
    assert not browser.find_elements(By.CSS_SELECTOR, "[aria-busy='true']")
    shoot(browser, "course-badges-side-panel.png")


def test_the_main_body_below_the_large_breakpoint(browser, live_server, learning_mfe):
    learner = make_learner()
    seed(learner, live_server)
    log_in(browser, live_server, learner)
    open_page(browser, learning_mfe(), 960)

    widget = wait_for(browser, lambda d: widget_in(d, "main-body-slot"), "no widget in the main body")[0]
    assert not widget_in(browser, "side-panel-slot")
    assert browser.find_element(By.CSS_SELECTOR, "#main-body-slot [data-testid='certificate-status']")
    assert widget.get_attribute("data-columns") == str(min(3, widget.size["width"] // 300))
    assert len(widget.find_elements(By.CSS_SELECTOR, ".credly-course-badge")) == 5
    wait_for_images(browser)
    assert browser.execute_script(OVERFLOWS) == []
    assert len(browser.execute_script("return window.credlyRequests;")) == 1
    shoot(browser, "course-badges-main-body.png")


def test_the_course_exit_page_1140_px_wide(browser, live_server, learning_mfe):
    learner = make_learner()
    badges = seed(learner, live_server)
    log_in(browser, live_server, learner)
    open_page(browser, learning_mfe("course-end"), 1240, 1000)

    widget = wait_for(browser, lambda d: widget_in(d, "course-exit-slot"), "no widget on the course exit page")[0]
    assert widget.size["width"] >= 1100
    assert widget.get_attribute("data-columns") == "3"
    assert widget.find_element(By.TAG_NAME, "h2").text == "You earned 3 badges"
    names = [element.text for element in widget.find_elements(By.CSS_SELECTOR, "h3")]
    assert sorted(names) == sorted(["Cloud Practitioner", "Course Finisher", UNBROKEN_NAME])
    assert widget.find_element(By.LINK_TEXT, "Accept on Credly").get_attribute("href") == badges["data"].accept_url
    # The badges come before the recommendations.
    slot_text = browser.find_element(By.ID, "course-exit-slot").text
    assert slot_text.index("You earned 3 badges") < slot_text.index("Keep learning")
    wait_for_images(browser)
    assert browser.execute_script(OVERFLOWS) == []
    shoot(browser, "course-badges-course-exit.png")


def test_the_widget_speaks_french(browser, live_server, learning_mfe):
    learner = make_learner()
    seed(learner, live_server)
    log_in(browser, live_server, learner)
    open_page(browser, learning_mfe(side=360, locale="fr"), 1280)
    widget = wait_for(browser, lambda d: widget_in(d, "side-panel-slot"), "no widget in the side panel")[0]
    assert widget.find_element(By.TAG_NAME, "h2").text == "Badges du cours"
    text = widget.text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Obtenir un certificat vérifié avec une note d’au moins 90 %" in text
    assert "Votre note : 72 % (90 % requis)" in text
    assert widget.find_element(By.LINK_TEXT, "Accepter sur Credly")
    assert browser.execute_script(OVERFLOWS) == []
    shoot(browser, "course-badges-side-panel-fr.png")


def test_a_course_without_badges_leaves_the_slots_as_they_were(browser, live_server, learning_mfe):
    learner = make_learner()
    log_in(browser, live_server, learner)
    open_page(browser, learning_mfe(side=360), 1280)
    wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "[aria-busy='true']"), "the skeleton stays")
    assert browser.execute_script("return window.credlyRequests[0].status;") == 200
    assert not browser.find_elements(By.CSS_SELECTOR, ".credly-course-badges")
    assert browser.find_element(By.CSS_SELECTOR, "#side-panel-slot [data-testid='certificate-status']")
