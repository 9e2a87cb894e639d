"""Fixtures of the learner-facing tests: badges in every state, and the fake Credly seeded to match."""
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


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium driven by Selenium (the browser tests); skipped where Chromium is missing."""
    require_service(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER), "chromium and chromedriver are needed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1120,900",
                     "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
