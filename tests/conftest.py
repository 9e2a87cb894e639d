"""
Shared fixtures: a connected organization, a template, a course mapping, a learner,
and real openedx-events signals sent through the host.

Unit tests mock Credly with ``responses`` at ``CREDLY_API`` (a host no test resolves);
integration tests use the fake Credly server (fixture ``fake_credly``).
"""
import os
import uuid
from datetime import datetime, timezone

import pytest
import responses
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from opaque_keys.edx.keys import CourseKey
from openedx_events.data import EventsMetadata
from openedx_events.learning.data import (
    CertificateData,
    CourseData,
    CoursePassingStatusData,
    UserData,
    UserPersonalData,
)
from openedx_events.learning.signals import (
    CERTIFICATE_CHANGED,
    CERTIFICATE_CREATED,
    CERTIFICATE_REVOKED,
    COURSE_PASSING_STATUS_UPDATED,
)

from openedx_credly import tasks
from openedx_credly.models import BadgeIssuance, BadgeTemplate, CourseBadgeTemplate, CredlyOrganization, IssuedBadge

pytest_plugins = ["fake_credly.pytest_plugin"]

CREDLY_API = "https://credly.test/v1/"
CREDLY_WEB = "https://credly.test/"
CREDLY_OAUTH = "https://credly.test/oauth/token"
ORG_ID = "11111111-2222-3333-4444-555555555555"
TEMPLATE_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TOKEN = "tok-secret-1234567890"
COURSE = "course-v1:OpenCraft+CR101+2026"
CHILD_RUN = "child_run"  # user property of a test's report: the summary line of a child pytest the test ran


# What a parallel run (``make test``: pytest-xdist, ``--dist loadgroup``) must not split: each group's
# tests run one after the other on one worker, as in a serial run (docs/testing.rst).
XDIST_GROUPS = {
    # The integration suite's Redis database (CREDLY_TEST_REDIS_DB), which its session fixture flushes
    # and ``purge`` empties of every unacknowledged message: only one worker may use it.
    "redis-broker": lambda item: "redis_broker" in item.fixturenames,
    # The Tutor environments (session fixtures, rendered once for all), and the widget tarball that
    # the packaging test packs again in tutor/ while the renders copy it.
    "tutor": lambda item: "tutor" in item.nodeid.split("/")[:2],
    # The rows of a big site, written once for tests/reliability/test_indexes.py (a module fixture).
    "big-site": lambda item: "big_site" in item.fixturenames,
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """
    Integration and browser tests are told apart so ``make test-unit`` can leave them out;
    tests that share something a parallel run cannot split get their ``xdist_group``.
    """
    for item in items:
        if "integration" in item.nodeid.split("/"):
            item.add_marker(pytest.mark.integration)
        for group, belongs in XDIST_GROUPS.items():
            if belongs(item):
                item.add_marker(pytest.mark.xdist_group(group))
                break
    if hasattr(config, "workerinput"):
        # An xdist worker (each collects the same list): the integration tests, which take minutes
        # where the others take seconds, are handed out first, so no worker is left with one at the end.
        items.sort(key=lambda item: item.get_closest_marker("integration") is None)


@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix(request):
    """
    Each xdist worker's test database is its own, as with pytest-django's suffix, but a MariaDB
    one also names the worker's process (``test_openedx_credly_gw0_<pid>``: another clone's run on
    the same server cannot take it) and a SQLite file keeps its extension (``..._gw0.sqlite3``,
    still a ``.sqlite3`` for the Celery workers it is handed to, tests/integration/harness.py).
    """
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if not worker:
        return
    from django.conf import settings as django_settings  # pylint: disable=import-outside-toplevel

    for database in django_settings.DATABASES.values():
        test = database.setdefault("TEST", {})
        name = test.get("NAME")
        if not database["ENGINE"].endswith("sqlite3"):
            test["NAME"] = f"{name or 'test_' + database['NAME']}_{worker}_{os.getpid()}"
        elif name and "memory" not in name:  # an in-memory database is the worker's own already
            root, extension = os.path.splitext(name)
            test["NAME"] = f"{root}_{worker}{extension}"


def pytest_terminal_summary(terminalreporter):
    """
    The summary lines of child pytest runs (tests/integration/test_mariadb.py), at the end of the
    report; they travel in the test's report, so a parallel run shows them too.
    """
    lines = [value for reports in terminalreporter.stats.values() for report in reports
             for name, value in getattr(report, "user_properties", ()) if name == CHILD_RUN]
    if lines:
        terminalreporter.section("end-to-end runs in child processes")
        for line in lines:
            terminalreporter.write_line(line)


TRANSACTION_SQL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def plugin_queries(send, *, in_transaction=False):
    """
    The SQL that ``send()`` (an event sent to the plugin) runs, without the transaction
    statements around it; ``in_transaction`` runs it inside one, as the platform does.
    """
    with CaptureQueriesContext(connection) as captured:
        if in_transaction:
            with transaction.atomic():
                send()
        else:
            send()
    return [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(TRANSACTION_SQL)]


@pytest.fixture
def enqueued(monkeypatch):
    """The badge ids the on_commit callbacks hand to the broker (nothing is sent)."""
    sent = []
    monkeypatch.setattr(tasks.issue_badge, "apply_async", lambda args, **kwargs: sent.append(args[0]))
    return sent


def require_service(available, reason):
    """Skip without a service, but fail in CI, where every service must be there."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def credly_urls(settings):
    """Point every Credly URL at a host that only ``responses`` or the fake server answers."""
    settings.CREDLY_API_BASE_URL = CREDLY_API
    settings.CREDLY_SANDBOX_API_BASE_URL = CREDLY_API
    settings.CREDLY_WEB_BASE_URL = CREDLY_WEB
    settings.CREDLY_SANDBOX_WEB_BASE_URL = CREDLY_WEB
    settings.CREDLY_OAUTH_TOKEN_URL = CREDLY_OAUTH
    settings.CREDLY_SANDBOX_OAUTH_TOKEN_URL = CREDLY_OAUTH
    return settings


@pytest.fixture
def eager_retries():
    """
    Let an eager task's ``self.retry`` re-run it in place, as Celery does when eager exceptions
    do not propagate (the test settings make them propagate, so a failing task fails its test).
    """
    from celery import current_app  # pylint: disable=import-outside-toplevel

    previous = current_app.conf.task_eager_propagates
    current_app.conf.task_eager_propagates = False
    yield
    current_app.conf.task_eager_propagates = previous


@pytest.fixture
def credly_api():
    """``responses`` mock of Credly; any request it was not told about fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def use_fake_credly(fake_credly, settings):
    """Point the plugin at the fake Credly server (sandbox and production alike)."""
    for prefix in ("CREDLY_", "CREDLY_SANDBOX_"):
        setattr(settings, f"{prefix}API_BASE_URL", fake_credly.api_base_url)
        setattr(settings, f"{prefix}WEB_BASE_URL", fake_credly.web_base_url)
        setattr(settings, f"{prefix}OAUTH_TOKEN_URL", fake_credly.oauth_token_url)
    return fake_credly


@pytest.fixture
def organization(db):
    """A connected organization using an authorization token."""
    return CredlyOrganization.objects.create(name="Open edX Academy", organization_id=ORG_ID, api_token=TOKEN)


@pytest.fixture
def template(organization):
    """An active badge template of ``organization``."""
    return BadgeTemplate.objects.create(
        organization=organization, template_id=TEMPLATE_ID, name="Course Finisher",
        description="Finished a course.", image_url="https://credly.test/images/finisher.png",
    )


@pytest.fixture
def on_fake(use_fake_credly, organization, template):
    """The fake Credly knows the organization and its template."""
    use_fake_credly.state.add_organization(organization.name, id=ORG_ID, token=TOKEN)
    use_fake_credly.state.add_template(ORG_ID, template.name, id=TEMPLATE_ID)
    return use_fake_credly


@pytest.fixture
def duplicates_allowed(on_fake, template):
    """The template allows duplicates, on Credly and here: only our own look-up prevents a second badge."""
    on_fake.state.update_template(TEMPLATE_ID, allow_duplicate_badges=True)
    BadgeTemplate.objects.filter(pk=template.pk).update(allow_duplicate_badges=True)
    return on_fake


@pytest.fixture
def course_key():
    return CourseKey.from_string(COURSE)


@pytest.fixture
def mapping(template, course_key):
    """The course awards ``template`` on a certificate."""
    return CourseBadgeTemplate.objects.create(
        course_id=course_key, template=template, trigger=CourseBadgeTemplate.TRIGGER_CERTIFICATE,
    )


@pytest.fixture
def passing_mapping(template, course_key):
    """The course awards ``template`` on passing."""
    return CourseBadgeTemplate.objects.create(
        course_id=course_key, template=template, trigger=CourseBadgeTemplate.TRIGGER_PASSING,
    )


def make_learner(username="ada", email="ada@example.com", first_name="Ada", last_name="Lovelace", **extra):
    """A learner account."""
    return get_user_model().objects.create_user(
        username=username, email=email, first_name=first_name, last_name=last_name, password="pw", **extra
    )


@pytest.fixture
def learner(db):
    return make_learner()


def make_badge(user, template, course_id="", *, state="queued", credly_badge_id="", issuance=None, **fields):
    """
    An ``IssuedBadge`` with its current ``BadgeIssuance`` in ``state``, as the state machine leaves them.

    ``issuance``: fields of the issuance (attempts, claim, outcome_unclear, ...).
    """
    fields.setdefault("earned_at", datetime(2026, 11, 25, 14, 3, tzinfo=timezone.utc))
    fields.setdefault("recipient_email", user.email)
    fields.setdefault("recipient_name", user.get_full_name())
    badge = IssuedBadge.objects.create(user=user, template=template, course_id=course_id, state=state,
                                       credly_badge_id=credly_badge_id, **fields)
    current = BadgeIssuance.objects.create(badge=badge, state=state, credly_badge_id=credly_badge_id,
                                           **(issuance or {}))
    IssuedBadge.objects.filter(pk=badge.pk).update(current_issuance=current)
    badge.refresh_from_db()
    return badge


def user_data(user, *, email=None, name=None):
    """The ``UserData`` the platform puts in its events for ``user``."""
    return UserData(
        id=user.id,
        is_active=user.is_active,
        pii=UserPersonalData(
            username=user.username,
            email=user.email if email is None else email,
            name=user.get_full_name() if name is None else name,
        ),
    )


def certificate_data(user, course_key, status="downloadable", **user_kwargs):
    return CertificateData(
        user=user_data(user, **user_kwargs),
        course=CourseData(course_key=course_key, display_name="Credly 101"),
        mode="verified",
        grade="0.91",
        current_status=status,
        previous_status="",
        download_url="",
        name="",
    )


def send_certificate(user, course_key, status="downloadable", signal=CERTIFICATE_CREATED, **user_kwargs):
    """Send a real CERTIFICATE_CREATED (or CHANGED/REVOKED) event; returns the receivers' results."""
    return signal.send_event(certificate=certificate_data(user, course_key, status, **user_kwargs))


def send_passing(user, course_key, is_passing=True, **user_kwargs):
    """Send a real COURSE_PASSING_STATUS_UPDATED event."""
    return COURSE_PASSING_STATUS_UPDATED.send_event(
        course_passing_status=CoursePassingStatusData(
            is_passing=is_passing,
            course=CourseData(course_key=course_key, display_name="Credly 101"),
            user=user_data(user, **user_kwargs),
        )
    )


def events_metadata(event_type, when=None):
    """Metadata for ``send_event_with_custom_metadata``, with a known id and time."""
    return EventsMetadata(
        event_type=event_type,
        id=uuid.uuid4(),
        minorversion=0,
        source="openedx/lms/web",
        sourcehost="lms.test",
        time=when or datetime(2026, 11, 25, 14, 3, tzinfo=timezone.utc),
        sourcelib=(10, 0, 0),
    )


__all__ = [
    "CERTIFICATE_CHANGED", "CERTIFICATE_CREATED", "CERTIFICATE_REVOKED", "COURSE_PASSING_STATUS_UPDATED",
]
