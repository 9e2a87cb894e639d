"""
The demo's story, one step at a time.

``STEPS`` is the table of contents: each entry is a title and a function that takes
the shared :class:`Demo` and prints what it did. A step that finds something wrong
raises :class:`DemoFailure` with a sentence for the reader; ``run`` prints it and
exits non-zero. To add a step (a learning path, say), write a function and insert it
in ``STEPS`` where it belongs in the story.

Django is set up by a step, not at import: the fake Credly must be running, and the
environment pointing at it, before the host's settings are read.
"""
# Django and the plugin are imported inside the steps: the host's settings may be read only once
# the fake Credly runs and the environment points at it.
# pylint: disable=import-outside-toplevel
from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from gettext import gettext as _
from pathlib import Path
from typing import Any

from demo.console import Console

ROOT = Path(__file__).resolve().parent.parent

ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "demo-admin"
LEARNER_USERNAME, LEARNER_PASSWORD = "ada", "demo-learner"
LEARNER_EMAIL, LEARNER_NAME = "ada@example.com", "Ada Lovelace"
# A second learner who earns nothing, so the panel's empty state can be seen.
NEWCOMER_USERNAME, NEWCOMER_EMAIL, NEWCOMER_NAME = "grace", "grace@example.com", "Grace Hopper"
PANEL_PATH = "/credly/profile/badges/"
LEARNER_API_PATH = "/api/credly/v1/badges/"
LOGIN_PATH = "/accounts/login/"
DEMO_QUEUE = "openedx-credly-demo"
# How long a real worker may take to issue the demo's badges (it starts in a few seconds).
WORKER_WAIT_SECONDS = 60


class DemoFailure(Exception):
    """Something the demo expected did not happen; the message says what, in plain words."""


@dataclass(frozen=True)
class DemoCourse:
    """A course of the demo and the badge it awards."""

    key: str
    name: str
    template_name: str
    trigger: str  # CourseBadgeTemplate.TRIGGER_*


COURSES = (
    DemoCourse("course-v1:DemoX+PY101+2026", "Python Fundamentals", "Python Fundamentals", "passing"),
    DemoCourse("course-v1:DemoX+DATA201+2026", "Data Analysis with Python", "Data Analysis Capstone", "certificate"),
)
# A learning path over both courses (each with its own trigger), awarding a badge of its own.
PATH_NAME, PATH_TEMPLATE_NAME = "Python for Data", "Python Data Specialist"
# Beside the second course's certificate badge, a distinction badge: certificate with a grade of 90 % or more,
# expiring after DISTINCTION_MONTHS (award rules, docs/award_rules.rst).
DISTINCTION_TEMPLATE_NAME, DISTINCTION_MIN_GRADE, DISTINCTION_MONTHS = "Data Analysis with Distinction", 90, 36
# Beside the first course's badge, an honours badge for a course grade of 95 % or more, which Ada's
# 84 % does not reach: the course badges widget shows it in progress, her grade against the rule.
HONOURS_TEMPLATE_NAME, HONOURS_MIN_GRADE = "Python Fundamentals with Honours", 95
COURSE_GRADES = {"course-v1:DemoX+PY101+2026": 0.84, "course-v1:DemoX+DATA201+2026": 0.92}
WIDGETS_PATH = "/widgets/"


@dataclass
class Demo:
    """What the steps share: options, the running services, and the rows they created."""

    args: Any  # the argparse namespace of demo/__main__.py
    out: Console
    fake: Any = None  # fake_credly.FakeCredlyServer
    seed: dict = field(default_factory=dict)
    worker: subprocess.Popen | None = None
    worker_log: Path | None = None
    admin: object = None
    learner: object = None
    organization: object = None
    templates: dict = field(default_factory=dict)  # name -> BadgeTemplate
    badges: list = field(default_factory=list)  # IssuedBadge rows, in course order, then the path's
    path: object = None  # LearningPath
    lock: Any = None  # the open lock file of the state directory, held while the demo runs

    @property
    def site_url(self) -> str:
        return f"http://127.0.0.1:{self.args.port}"

    @property
    def lock_path(self) -> Path:
        return self.args.state_dir / "demo.lock"

    @property
    def database_path(self) -> Path:
        return self.args.state_dir / "demo.sqlite3"

    @property
    def uses_worker(self) -> bool:
        return bool(self.args.broker)


# ---------------------------------------------------------------- steps


def start_fake_credly(demo: Demo) -> None:
    """Start the fake Credly in this process, seeded with the demo organization and its templates."""
    from fake_credly import FakeCredlyServer

    try:
        demo.fake = FakeCredlyServer(demo.args.credly_port).start()
    except OSError as error:
        raise DemoFailure(_("The fake Credly could not listen on port %(port)s (%(error)s): try another "
                            "--credly-port.") % {"port": demo.args.credly_port, "error": error}) from error
    demo.seed = demo.fake.state.seed_demo()
    demo.out.say(_("A fake Credly answers at %(url)s (API %(api)s), in this process, with no internet needed.")
                 % {"url": demo.fake.url, "api": demo.fake.api_base_url})
    demo.out.say(_('It holds the organization "%(name)s" with %(count)s badge templates, one of them archived.')
                 % {"name": demo.seed["organization_name"], "count": len(demo.seed["templates"])})


def prepare_site(demo: Demo) -> None:
    """Point the host at the fake Credly, then set Django up on a fresh SQLite file."""
    state_dir = demo.args.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    for leftover in state_dir.glob("demo.sqlite3*"):
        leftover.unlink()
    os.environ.pop("DEVHOST_DB", None)  # the demo is SQLite, whatever the shell says
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "devhost.settings",
        "DEVHOST_SQLITE_PATH": str(demo.database_path),
        "DEVHOST_DEBUG": "1",  # runserver serves the admin's CSS only in DEBUG
        "DEVHOST_LMS_ROOT_URL": demo.site_url,  # the course links sent to Credly as evidence
        "CREDLY_SANDBOX_API_BASE_URL": demo.fake.api_base_url,
        "CREDLY_SANDBOX_WEB_BASE_URL": demo.fake.web_base_url,
        "CREDLY_SANDBOX_OAUTH_TOKEN_URL": demo.fake.oauth_token_url,
    })
    if demo.uses_worker:
        _check_broker(demo.args.broker)
        os.environ["CELERY_BROKER_URL"] = demo.args.broker
        os.environ["CREDLY_CELERY_QUEUE"] = DEMO_QUEUE
    else:
        os.environ.pop("CELERY_BROKER_URL", None)  # no broker: Celery runs the task in this process

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    _quiet_loggers()
    # The demo's own sign-in page for the learner (the admin's refuses non-staff accounts).
    settings.ROOT_URLCONF = "demo.urls"
    settings.LOGIN_URL = LOGIN_PATH
    call_command("migrate", verbosity=0, interactive=False)
    demo.out.say(_("The standalone host loaded the plugin through its lms.djangoapp entry point, like the LMS."))
    demo.out.say(_("Database: %(path)s (fresh SQLite file).") % {"path": _relative(demo.database_path)})
    if demo.uses_worker:
        demo.out.say(_("Celery: broker %(broker)s, a worker process issues the badges.") % {"broker": demo.args.broker})
    else:
        demo.out.say(_("Celery: no broker, so tasks run in this process right after each commit "
                       "(use --broker redis://127.0.0.1:6379/5 for a real worker)."))


def create_people(demo: Demo) -> None:
    """The operator, the learner who earns badges, the one who earns none, and the courses."""
    from django.contrib.auth import get_user_model

    from devhost.standin.models import Course, Profile

    user_model = get_user_model()
    demo.admin = user_model.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
    demo.learner = user_model.objects.create_user(
        LEARNER_USERNAME, LEARNER_EMAIL, LEARNER_PASSWORD, first_name="Ada", last_name="Lovelace",
    )
    Profile.objects.create(user=demo.learner, name=LEARNER_NAME)
    newcomer = user_model.objects.create_user(
        NEWCOMER_USERNAME, NEWCOMER_EMAIL, LEARNER_PASSWORD, first_name="Grace", last_name="Hopper",
    )
    Profile.objects.create(user=newcomer, name=NEWCOMER_NAME)
    for course in COURSES:
        Course.objects.create(course_id=course.key, display_name=course.name)
    demo.out.say(_("Operator: %(user)s (superuser). Learner: %(name)s, %(user2)s <%(email)s>.") % {
        "user": ADMIN_USERNAME, "name": LEARNER_NAME, "user2": LEARNER_USERNAME, "email": LEARNER_EMAIL})
    demo.out.say(_("A second learner, %(name)s (%(user)s), earns nothing: her panel is empty, and a profile "
                   "shows no badge section.") % {
        "name": NEWCOMER_NAME, "user": NEWCOMER_USERNAME})
    demo.out.say(_("Courses: %(courses)s.") % {"courses": ", ".join(f"{c.name} ({c.key})" for c in COURSES)})


def connect_organization(demo: Demo) -> None:
    """The operator fills the admin's "Add Credly organization" form: the credential is tried live."""
    from django.test import Client
    from django.urls import reverse

    from openedx_credly.models import CredlyOrganization
    from openedx_credly.operators.forms import CredlyOrganizationForm

    data = {
        "name": demo.seed["organization_name"],
        "organization_id": demo.seed["organization_id"],
        "use_sandbox": "on",
        "api_token": demo.seed["token"],
        "client_id": "",
        "client_secret": "",
        "is_active": "on",
        "_save": "Save",
    }
    client = Client()
    client.force_login(demo.admin)
    response = client.post(reverse("admin:openedx_credly_credlyorganization_add"), data)
    demo.organization = CredlyOrganization.objects.filter(organization_id=demo.seed["organization_id"]).first()
    if response.status_code != 302 or demo.organization is None:
        form = CredlyOrganizationForm(data)
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors) if not form.is_valid() else ""
        raise DemoFailure(_("The admin refused to connect the organization (HTTP %(status)s). %(errors)s") % {
            "status": response.status_code, "errors": errors})
    demo.out.say(_('Through the admin form, as an operator would: "%(name)s", sandbox on, authorization token.')
                 % {"name": demo.organization.name})
    demo.out.say(_("The form checked the token against Credly before saving (GET organizations/{id}): accepted."))


def sync_templates(demo: Demo) -> None:
    """Read the organization's badge templates from Credly, as the admin's sync does."""
    from openedx_credly.models import BadgeTemplate
    from openedx_credly.syncing import template_sync

    result = template_sync.sync_templates(demo.organization)
    if result is None:
        raise DemoFailure(_("Syncing the badge templates from Credly failed; see the Credly error log in the admin."))
    demo.templates = {t.name: t for t in BadgeTemplate.objects.filter(organization=demo.organization)}
    active = sorted(name for name, t in demo.templates.items() if t.state == BadgeTemplate.STATE_ACTIVE)
    demo.out.say(_("%(count)s active templates read from Credly (every page): %(names)s. The archived one is left out.")
                 % {"count": result[0], "names": ", ".join(active)})
    wanted = [c.template_name for c in COURSES] + [PATH_TEMPLATE_NAME, DISTINCTION_TEMPLATE_NAME,
                                                   HONOURS_TEMPLATE_NAME]
    missing = [name for name in wanted if name not in active]
    if missing:
        raise DemoFailure(_("These templates did not arrive from Credly: %(names)s.") % {"names": ", ".join(missing)})


def map_courses(demo: Demo) -> None:
    """Give each course its badge template and trigger."""
    from opaque_keys.edx.keys import CourseKey

    from openedx_credly.models import CourseBadgeTemplate

    for course in COURSES:
        CourseBadgeTemplate.objects.create(
            course_id=CourseKey.from_string(course.key), template=demo.templates[course.template_name],
            trigger=course.trigger, source=CourseBadgeTemplate.SOURCE_ADMIN, created_by=demo.admin,
        )
        if course.trigger == "passing":
            when = _("when the learner passes")
        else:
            when = _("when the learner earns a certificate")
        demo.out.say(_('%(course)s awards "%(template)s" %(when)s.') % {
            "course": course.name, "template": course.template_name, "when": when})
    distinction_course = COURSES[-1]
    CourseBadgeTemplate.objects.create(
        course_id=CourseKey.from_string(distinction_course.key), template=demo.templates[DISTINCTION_TEMPLATE_NAME],
        trigger=CourseBadgeTemplate.TRIGGER_CERTIFICATE, min_grade=DISTINCTION_MIN_GRADE,
        expires_in_months=DISTINCTION_MONTHS, source=CourseBadgeTemplate.SOURCE_ADMIN, created_by=demo.admin,
    )
    demo.out.say(_('%(course)s also awards "%(template)s" for a certificate with a grade of %(grade)s %% or more; '
                   "that badge expires %(months)s months after it is earned.") % {
        "course": distinction_course.name, "template": DISTINCTION_TEMPLATE_NAME, "grade": DISTINCTION_MIN_GRADE,
        "months": DISTINCTION_MONTHS})
    honours_course = COURSES[0]
    CourseBadgeTemplate.objects.create(
        course_id=CourseKey.from_string(honours_course.key), template=demo.templates[HONOURS_TEMPLATE_NAME],
        trigger=CourseBadgeTemplate.TRIGGER_GRADE, min_grade=HONOURS_MIN_GRADE,
        source=CourseBadgeTemplate.SOURCE_ADMIN, created_by=demo.admin,
    )
    demo.out.say(_('%(course)s also awards "%(template)s" when the course grade reaches %(grade)s %%.') % {
        "course": honours_course.name, "template": HONOURS_TEMPLATE_NAME, "grade": HONOURS_MIN_GRADE})


def create_learning_path(demo: Demo) -> None:
    """A learning path over both courses, with a badge of its own."""
    from opaque_keys.edx.keys import CourseKey

    from openedx_credly.models import LearningPath, LearningPathCourse

    demo.path = LearningPath.objects.create(
        name=PATH_NAME, template=demo.templates[PATH_TEMPLATE_NAME], rule=LearningPath.RULE_ALL, created_by=demo.admin,
    )
    for course in COURSES:
        LearningPathCourse.objects.create(path=demo.path, course_id=CourseKey.from_string(course.key),
                                          trigger=course.trigger)
    demo.out.say(_('The learning path "%(path)s" awards "%(template)s" to learners who complete both courses '
                   '(passing the first, a certificate in the second).')
                 % {"path": PATH_NAME, "template": PATH_TEMPLATE_NAME})


def learner_earns(demo: Demo) -> None:
    """The LMS's own events: Ada passes both courses, then gets the certificate of the second."""
    from django.utils import timezone
    from opaque_keys.edx.keys import CourseKey
    from openedx_events.learning.data import (
        CertificateData,
        CourseData,
        CoursePassingStatusData,
        UserData,
        UserPersonalData,
    )
    from openedx_events.learning.signals import CERTIFICATE_CREATED, COURSE_PASSING_STATUS_UPDATED

    from devhost.standin.models import Certificate, CourseGrade

    learner = demo.learner
    user = UserData(id=learner.id, is_active=True,
                    pii=UserPersonalData(username=learner.username, email=learner.email, name=LEARNER_NAME))
    now = timezone.now()
    for course in COURSES:
        key = CourseKey.from_string(course.key)
        course_data = CourseData(course_key=key, display_name=course.name)
        # What the LMS stores before it sends the event, so the plugin's backfill would find it too.
        CourseGrade.objects.create(user=learner, course_id=key, passed_timestamp=now,
                                   percent_grade=COURSE_GRADES[course.key])
        COURSE_PASSING_STATUS_UPDATED.send_event(
            course_passing_status=CoursePassingStatusData(is_passing=True, course=course_data, user=user))
        demo.out.say(_("Sent COURSE_PASSING_STATUS_UPDATED (is_passing=True) for %(course)s.")
                     % {"course": course.name})
        if course.trigger == "certificate":
            Certificate.objects.create(user=learner, course_id=key, status="downloadable", created_date=now,
                                       grade="0.92", mode="verified")
            CERTIFICATE_CREATED.send_event(certificate=CertificateData(
                user=user, course=course_data, mode="verified", grade="0.92", current_status="downloadable",
                previous_status="generating", download_url="", name=LEARNER_NAME,
            ))
            demo.out.say(_("Sent CERTIFICATE_CREATED (downloadable, grade 0.92) for %(course)s.")
                         % {"course": course.name})
    demo.out.say(_("Each receiver only recorded a queued badge; Celery sends it to Credly after the commit."))


def issue_badges(demo: Demo) -> None:
    """Wait for Celery (in this process, or the worker) to send the badges."""
    from openedx_credly.models import IssuedBadge

    if demo.uses_worker:
        _start_worker(demo)
    deadline = time.monotonic() + (WORKER_WAIT_SECONDS if demo.uses_worker else 5)
    while True:
        rows = list(IssuedBadge.objects.filter(user=demo.learner).select_related("template").order_by("id"))
        if len(rows) >= len(COURSES) + 2 and all(row.state != IssuedBadge.STATE_QUEUED for row in rows):
            break
        if demo.worker is not None and demo.worker.poll() is not None:
            raise DemoFailure(_("The Celery worker stopped (exit code %(code)s). Its last lines:\n%(log)s")
                              % {"code": demo.worker.returncode, "log": _tail(demo.worker_log)})
        if time.monotonic() > deadline:
            states = ", ".join(f"{row.template.name}: {row.state}" for row in rows) or _("no badge recorded")
            hint = _(" Is the worker consuming the queue? Its log: %(log)s") % {"log": demo.worker_log} \
                if demo.uses_worker else ""
            raise DemoFailure(_("The badges were not issued in time (%(states)s).%(hint)s")
                              % {"states": states, "hint": hint})
        time.sleep(0.2)

    failed = [row for row in rows if row.state != IssuedBadge.STATE_PENDING or not row.credly_badge_id]
    if failed:
        raise DemoFailure("; ".join(_("%(template)s ended %(state)s: %(error)s") % {
            "template": row.template.name, "state": row.state, "error": row.last_error or "-"} for row in failed))
    on_credly = {b["id"]: b for b in demo.fake.state.all_badges() if b["recipient_email"] == LEARNER_EMAIL}
    if sorted(on_credly) != sorted(row.credly_badge_id for row in rows):
        raise DemoFailure(_("Credly holds %(credly)s badge(s) for the learner, the platform recorded %(ours)s.")
                          % {"credly": len(on_credly), "ours": len(rows)})
    demo.badges = rows
    names = {c.key: c.name for c in COURSES}
    for row in rows:
        if row.learning_path_id:
            earned_for = _('the learning path "%(path)s"') % {"path": PATH_NAME}
        else:
            earned_for = names.get(str(row.course_id), str(row.course_id))
        demo.out.say(_("%(learner)s earned a badge for %(course)s:") % {"learner": LEARNER_NAME, "course": earned_for})
        demo.out.field(_("badge template"), row.template.name)
        demo.out.field(_("Credly badge id"), row.credly_badge_id)
        demo.out.field(_("state"), _("%(state)s (waiting for the learner to accept it on Credly)") % {
            "state": row.state})
        demo.out.field(_("accept URL"), row.accept_url)
        demo.out.field(_("issued at"), on_credly[row.credly_badge_id]["issued_at"])
        if row.expires_at:
            demo.out.field(_("expires at"), on_credly[row.credly_badge_id]["expires_at"])
    demo.out.say(_("Credly holds exactly these %(count)s badges for %(email)s: nothing missing, nothing twice.")
                 % {"count": len(rows), "email": LEARNER_EMAIL})


def learner_accepts(demo: Demo) -> None:
    """Ada accepts her first badge on Credly; the platform catches up (issue 5's refresh)."""
    badge = demo.badges[0]
    demo.fake.state.accept_badge(badge.credly_badge_id)
    demo.out.say(_('On Credly, %(learner)s accepts "%(template)s" (as if she clicked its accept link).')
                 % {"learner": LEARNER_NAME, "template": badge.template.name})
    try:
        from openedx_credly.syncing import refresh
    except ImportError:
        demo.out.say(_("Skipped: this version of the plugin has no refresh from Credly yet."))
        return
    stats = refresh.refresh_pending()
    badge.refresh_from_db()
    if badge.state != "accepted":
        raise DemoFailure(_("After the refresh from Credly the badge is still %(state)s, not accepted (%(stats)s).")
                          % {"state": badge.state, "stats": dict(stats)})
    demo.out.say(_("The refresh from Credly read %(count)s pending badge(s): that one is now %(state)s; "
                   "the others stay pending for you to accept.") % {"count": sum(stats.values()), "state": badge.state})


def show_where_to_look(demo: Demo) -> None:
    """Print the pages and logins; after --no-serve, say that the fake Credly's links are gone."""
    from django.urls import Resolver404, resolve

    try:
        resolve(PANEL_PATH)
        panel = PANEL_PATH
    except Resolver404:
        panel = LEARNER_API_PATH  # the learner's panel is not in this version: its JSON API is
    login = f"{demo.site_url}{LOGIN_PATH}?next={panel}"
    if demo.args.no_serve:
        demo.out.say(_("Run `make demo` (without --no-serve) to browse these pages:"))
    demo.out.field(_("start here"), f"{demo.site_url}/  ({_('every page and login below')})")
    demo.out.field(_("admin"), f"{demo.site_url}/admin/  ({ADMIN_USERNAME} / {ADMIN_PASSWORD})")
    demo.out.field(_("learner's badges"), f"{login}  ({LEARNER_USERNAME} / {LEARNER_PASSWORD})")
    demo.out.field(_("no badges yet"), f"{login}  ({NEWCOMER_USERNAME} / {LEARNER_PASSWORD})")
    demo.out.field(_("widgets"), f"{demo.site_url}{LOGIN_PATH}?next={WIDGETS_PATH}  ({LEARNER_USERNAME} / "
                                 f"{LEARNER_PASSWORD}; {_('needs the widget bundle: make frontend-bundle')})")
    if demo.args.no_serve:
        demo.out.say(_("The fake Credly stops with this command: the accept URLs above no longer answer."))
        return
    pending = [b for b in demo.badges if b.state == "pending"]
    if pending:
        demo.out.field(_("accept on Credly"), pending[0].accept_url)
    demo.out.field(_("fake Credly"), f"{demo.fake.url}/_fake/badges  ({_('what it holds, as JSON')})")


def index_links(demo: Demo) -> list:
    """The demo's pages and logins, for the index page the site serves at ``/``."""
    login = f"{LOGIN_PATH}?next={PANEL_PATH}"
    links = [
        (_("The admin"), "/admin/", f"{ADMIN_USERNAME} / {ADMIN_PASSWORD}",
         _("organizations, badge templates, course badges, issued badges, the Credly error log")),
        (_("%(name)s's badges") % {"name": LEARNER_NAME}, login, f"{LEARNER_USERNAME} / {LEARNER_PASSWORD}",
         _("the learner's Badges Earned panel: four badges, one accepted")),
        (_("%(name)s's badges") % {"name": NEWCOMER_NAME}, login, f"{NEWCOMER_USERNAME} / {LEARNER_PASSWORD}",
         _("a learner without badges: the panel is empty (a profile shows no badge section)")),
        (_("The widgets a learner sees"), f"{LOGIN_PATH}?next={WIDGETS_PATH}",
         f"{LEARNER_USERNAME} / {LEARNER_PASSWORD}",
         _("Badges Earned on her profile and Course badges on the Progress tab of her two courses, each in the "
           "real frontend-plugin-framework PluginSlot")),
        (_("The learner's badges as JSON"), LEARNER_API_PATH, _("once signed in"),
         _("the REST API the panel's data comes from")),
    ]
    pending = [b for b in demo.badges if b.state == "pending"]
    if pending:
        links.append((_("Accept a badge on (fake) Credly"), pending[0].accept_url, "",
                      _("the fake Credly then calls the site's webhook: the badge shows accepted")))
    links.append((_("What the fake Credly holds"), f"{demo.fake.url}/_fake/badges", "", _("JSON")))
    return links


STEPS = [
    (_("Fake Credly"), start_fake_credly),
    (_("The site"), prepare_site),
    (_("People and courses"), create_people),
    (_("Connect Credly"), connect_organization),
    (_("Badge templates"), sync_templates),
    (_("Course badges"), map_courses),
    (_("Learning path"), create_learning_path),
    (_("The learner's achievements"), learner_earns),
    (_("Badges issued"), issue_badges),
    (_("Accepted on Credly"), learner_accepts),
    (_("Look around"), show_where_to_look),
]


# ---------------------------------------------------------------- running


def run(args) -> int:
    """Run every step; serve unless --no-serve. Returns the process exit code."""
    out = Console()
    demo = Demo(args=args, out=out)
    out.title(_("openedx-credly demo"))
    # `kill` stops the demo as Ctrl-C does, so the worker process does not outlive it.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _lock_state_dir(demo)
        if not args.no_serve:
            _check_port_free(args.port)
        for number, (title, step) in enumerate(STEPS, start=1):
            out.section(number, title)
            step(demo)
        if args.no_serve:
            out.done(_("Demo finished: %(count)s badges issued through Credly's API (fake).") % {
                "count": len(demo.badges)})
            return 0
        return _serve(demo)
    except DemoFailure as failure:
        out.failure(str(failure))
        return 1
    except KeyboardInterrupt:
        out.say(_("Interrupted."))
        return 130
    except Exception:  # pylint: disable=broad-except
        out.failure(_("The demo stopped on an unexpected error (details below)."))
        traceback.print_exc()
        return 1
    finally:
        _stop_worker(demo)
        if demo.fake is not None:
            demo.fake.stop()
        if demo.lock is not None:
            demo.lock.close()  # releases the lock


def _serve(demo: Demo) -> int:
    """Serve the site (and its index page) until Ctrl-C; returns the exit code."""
    from django.core.management import call_command
    from django.urls import Resolver404, resolve

    from demo import periodic, views

    views.LINKS[:] = index_links(demo)
    views.WIDGET_COURSES[:] = [(course.key, course.name) for course in COURSES]
    _write_lock(demo, serving=True)
    webhook_path = "/api/credly/v1/webhook/"
    demo.out.section(len(STEPS) + 1, _("Serving"))
    demo.out.say(_("The site runs at %(url)s/ until you press Ctrl-C; the fake Credly keeps running with it.")
                 % {"url": demo.site_url})
    try:
        resolve(webhook_path)
    except Resolver404:
        pass
    else:
        # Accepting on the fake's page then tells the site at once, as Credly's webhook would.
        demo.fake.state.set_webhook(demo.seed["organization_id"], demo.site_url + webhook_path)
        demo.out.say(_("Open the accept link above and accept the badge: the fake Credly calls the site's webhook "
                       "and the learner's page shows it accepted."))
    schedule = periodic.schedule_from_settings()
    demo.out.say(_("Periodic tasks (Celery beat's schedule, run by the demo): %(tasks)s.") % {
        "tasks": ", ".join(f"{task.task.rsplit('.', 1)[-1]} {_every(task.period)}" for task in schedule)})
    runner = periodic.PeriodicRunner(schedule).start()
    sys.stdout.flush()
    code = 0
    try:
        call_command("runserver", f"127.0.0.1:{demo.args.port}", use_reloader=False, use_threading=True)
    except KeyboardInterrupt:
        pass
    except SystemExit as exit_:  # runserver turns Ctrl-C into exit 0, and its own errors into exit 1
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        runner.stop()
    demo.out.say(_("Stopped."))
    return code


def _every(seconds: float) -> str:
    """"every 5 min", "every 6 h", "every 1 day": a period in words."""
    for unit, size in ((_("day"), 86400), (_("h"), 3600), (_("min"), 60)):
        if seconds >= size and seconds % size == 0:
            return _("every %(count)d %(unit)s") % {"count": seconds // size, "unit": unit}
    return _("every %(count)d s") % {"count": seconds}


def _interrupt(signum, frame):
    """Turn SIGTERM into the KeyboardInterrupt that Ctrl-C raises."""
    raise KeyboardInterrupt


def _lock_state_dir(demo: Demo) -> None:
    """One demo at a time per state directory: a second would recreate the database the first one serves."""
    demo.args.state_dir.mkdir(parents=True, exist_ok=True)
    lock = open(demo.lock_path, "a+", encoding="utf-8")  # pylint: disable=consider-using-with
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        lock.seek(0)
        holder = lock.read().strip() or _("another demo")
        lock.close()
        raise DemoFailure(_("%(holder)s is using %(dir)s. Stop it (Ctrl-C in its terminal), or give this run a "
                            "directory of its own with --state-dir (and --port).")
                          % {"holder": holder, "dir": _relative(demo.args.state_dir)}) from error
    demo.lock = lock
    _write_lock(demo, serving=False)


def _write_lock(demo: Demo, serving: bool) -> None:
    """Say in the lock file who holds it, for the sentence a second demo prints."""
    if serving:
        holder = _("The demo of process %(pid)s, serving %(url)s/,") % {"pid": os.getpid(), "url": demo.site_url}
    else:
        holder = _("The demo of process %(pid)s") % {"pid": os.getpid()}
    demo.lock.seek(0)
    demo.lock.truncate()
    demo.lock.write(holder)
    demo.lock.flush()


def _check_port_free(port: int) -> None:
    """Refuse, in one sentence, a port that something else listens on."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise DemoFailure(_("Port %(port)s on 127.0.0.1 is busy (%(error)s): pass --port 8001, or "
                                "DEMO_ARGS=--no-serve to skip serving.") % {"port": port, "error": error}) from error


def _check_broker(url: str) -> None:
    """Fail early, in plain words, if Redis is not there; forget messages an interrupted run left behind."""
    try:
        import redis

        broker = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        broker.ping()
        broker.delete(DEMO_QUEUE)  # they name rows of a database that was just recreated
    except Exception as error:
        raise DemoFailure(_("The broker %(url)s does not answer (%(error)s). Start Redis, or run without --broker.")
                          % {"url": url, "error": error}) from error


def _start_worker(demo: Demo) -> None:
    """A real `celery -A devhost worker` with the same environment as this process."""
    demo.worker_log = demo.args.state_dir / "worker.log"
    command = [
        sys.executable, "-m", "celery", "-A", "devhost", "worker", "--pool=solo", "-Q", DEMO_QUEUE,
        "-n", f"demo-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with open(demo.worker_log, "wb") as log:
        # The worker outlives this function: _stop_worker ends it.
        demo.worker = subprocess.Popen(  # pylint: disable=consider-using-with
            command, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    demo.out.say(_("Started a Celery worker process (pid %(pid)s) on queue %(queue)s; log: %(log)s.") % {
        "pid": demo.worker.pid, "queue": DEMO_QUEUE, "log": _relative(demo.worker_log)})


def _stop_worker(demo: Demo) -> None:
    """Stop the worker process group (warm, then killed after 10 s)."""
    worker = demo.worker
    if worker is None or worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def _quiet_loggers() -> None:
    """Keep the story readable: the plugin's warnings stay, chatter goes."""
    for name in ("celery", "kombu", "amqp", "django.request", "edx_django_utils"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


__all__ = ["COURSES", "STEPS", "Demo", "DemoCourse", "DemoFailure", "run"]
