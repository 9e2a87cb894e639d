"""Fixtures of the learner-facing tests: badges in every state, and the fake Credly seeded to match."""
import contextlib
import itertools
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.core.cache import cache
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt
from rest_framework_jwt.settings import api_settings as jwt_api_settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from openedx_credly.models import BadgeIssuance, IssuedBadge
from tests.conftest import ORG_ID, TEMPLATE_ID, TOKEN, make_learner, require_service

EARNED = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)
_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def clear_cache():
    """The first-view import mark lives in the cache: each test starts without it."""
    cache.clear()
    yield
    cache.clear()


def make_badge(user, template, state=IssuedBadge.STATE_PENDING, course_id=None, **fields):
    """An ``IssuedBadge`` as issuing leaves it: on Credly (with its URLs) unless queued or failed."""
    on_credly = state in IssuedBadge.ON_CREDLY_STATES
    credly_id = fields.pop("credly_badge_id", str(uuid.uuid4()) if on_credly else "")
    number = next(_sequence)
    defaults = {
        "recipient_email": user.email,
        "recipient_name": user.get_full_name(),
        "credly_badge_id": credly_id,
        "accept_url": f"https://credly.test/earner/badges/{credly_id}/accept" if on_credly else "",
        "badge_url": f"https://credly.test/badges/{credly_id}" if on_credly else "",
        "image_url": "https://credly.test/images/finisher.png" if on_credly else "",
        "earned_at": EARNED + timedelta(minutes=number),
        "state_updated_at": EARNED if on_credly else None,
    }
    issuance_fields = {name: fields.pop(name) for name in list(fields)
                       if name in ("claimed_until", "claim_token", "attempts", "outcome_unclear", "next_attempt_at")}
    defaults.update(fields)
    badge = IssuedBadge.objects.create(user=user, template=template, course_id=course_id, state=state, **defaults)
    # Its current issuance, as the state machine leaves it.
    current = BadgeIssuance.objects.create(badge=badge, state=state, credly_badge_id=defaults["credly_badge_id"],
                                           **issuance_fields)
    IssuedBadge.objects.filter(pk=badge.pk).update(current_issuance=current)
    badge.current_issuance = current
    return badge


@pytest.fixture
def staff(db):
    return make_learner(username="staffer", email="staff@example.com", is_staff=True)


@pytest.fixture
def other_learner(db):
    return make_learner(username="grace", email="grace@example.com", first_name="Grace", last_name="Hopper")


def jwt_header(user):
    """An ``Authorization`` header carrying a JWT the LMS would issue for ``user`` (the host's prefix)."""
    return {"HTTP_AUTHORIZATION": f"{jwt_api_settings.JWT_AUTH_HEADER_PREFIX} {generate_jwt(user)}"}


@pytest.fixture
def fake_org(use_fake_credly, organization, template):
    """The fake Credly knows ``organization`` (same id and token) and ``template``."""
    state = use_fake_credly.state
    state.add_organization(organization.name, id=ORG_ID, token=TOKEN)
    state.add_template(ORG_ID, template.name, id=TEMPLATE_ID, description=template.description)
    return use_fake_credly


def issue_on_fake(fake, email, template_id=TEMPLATE_ID, earner_id=None, org_id=ORG_ID, *,
                  issued_at="2025-06-01 10:00:00 +0000"):
    """Issue a badge directly on the fake Credly (as another tool, an earlier integration or a lost answer would)."""
    body = {
        "recipient_email": email,
        "issued_to_first_name": "Ada",
        "issued_to_last_name": "Lovelace",
        "badge_template_id": template_id,
        "issued_at": issued_at,
    }
    if earner_id:
        body["issuer_earner_id"] = earner_id
    return fake.state.issue_badge(org_id, body)


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WINDOW_SIZE = (1120, 900)


class Chromium:
    """
    One headless Chromium for the session's browser tests: starting one per test cost about a second.

    Each test gets a new window in a new user context (WebDriver BiDi), which is to the browser
    what a new profile is: its own cookies, storage, cache and connections, all gone when
    ``close`` removes it. A browser that stops answering is quit; the next test starts another.
    """

    def __init__(self, profile_dir):
        self.profile_dir = profile_dir
        self.driver = self.home = self.user_context = None

    def start(self):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        options.enable_bidi = True  # user contexts
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--no-first-run", "--disable-sync",
                         "--window-size={},{}".format(*WINDOW_SIZE), "--hide-scrollbars",
                         f"--user-data-dir={self.profile_dir}"):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(30)
        self.home = self.driver.current_window_handle

    def open(self):
        """A new window in a new user context, the WebDriver session switched to it."""
        if self.driver is None:
            self.start()
        driver = self.driver
        self.user_context = driver.browser.create_user_context()
        driver.switch_to.window(driver.browsing_context.create(type="window", user_context=self.user_context))
        driver.set_window_size(*WINDOW_SIZE)
        return driver

    def close(self):
        """Remove the test's user context, with its windows and everything the test left in it."""
        user_context, self.user_context = self.user_context, None
        self.driver.switch_to.window(self.home)
        self.driver.browser.remove_user_context(user_context)

    def quit(self):
        if self.driver is not None:
            with contextlib.suppress(Exception):
                self.driver.quit()
        self.driver = self.home = self.user_context = None


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """The session's headless Chromium (``browser`` gives each test its own context); skipped without Chromium."""
    require_service(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER), "chromium and chromedriver are needed")
    shared = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield shared
    shared.quit()


@pytest.fixture
def browser(chromium):
    """Headless Chromium driven by Selenium (the browser tests), as new to the test as a new browser."""
    try:
        driver = chromium.open()
    except Exception:  # pylint: disable=broad-except
        chromium.quit()  # it stopped answering: a new one
        driver = chromium.open()
    yield driver
    try:
        chromium.close()
    except Exception:  # pylint: disable=broad-except
        chromium.quit()
