"""
Scale benchmark: a site with two million badges (``make bench-scale``; MariaDB only).

Two databases side by side, loaded by bulk SQL (``INSERT … SELECT`` from MariaDB's
``seq_1_to_N`` tables) after the project's own migrations:

* SMALL: 10k users, 20k issued badges and issuances, 2k webhook events, 1k error-log rows,
  20k completions;
* LARGE: 1M users, 2M issued badges and issuances, 300k webhook events, 100k error-log
  rows, 2M completions.

Both have 3 organizations, 500 templates and 5,000 course mappings, and a real site's
spread of states (70 % accepted, 20 % pending, 3 % rejected, 4 % revoked, 2 % failed,
1 % queued). Each operation runs on SMALL and LARGE in interleaved rounds; the result is
the LARGE/SMALL ratio of medians (target ≤ 2), the query count, and what EXPLAIN says of
every SELECT it made on LARGE (a full scan or a filesort over a table of more than 100k
rows is a miss). An operation whose work grows with the tables (the sweeper's batch, the
refresh of every pending badge, the pruning count) is measured per row of its own work.

``--keep`` keeps the databases (``credly_bench_scale_small`` and ``_large``) and a later
run with ``--keep`` reuses them instead of loading again; without it they are dropped.
"""
# Django is imported once the environment of the run is set.
# pylint: disable=import-outside-toplevel
import argparse
import sys
import time

from benchmarks import BenchDatabase, Result, log, median, setup_django

SIZES = {
    "small": {"users": 10_000, "badges": 20_000, "events": 2_000, "errors": 1_000, "completions": 20_000},
    "large": {"users": 1_000_000, "badges": 2_000_000, "events": 300_000, "errors": 100_000,
              "completions": 2_000_000},
}
ORGANIZATIONS, TEMPLATES, MAPPINGS = 3, 500, 5_000
BIG_TABLE_ROWS = 100_000
RATIO_TARGET = 2
# The state of badge n, from a hash of n:
# 70 % accepted, 20 % pending, 3 % rejected, 4 % revoked, 2 % failed, 1 % queued.
STATE_SQL = ("CASE WHEN CRC32(seq) % 100 < 70 THEN 'accepted' WHEN CRC32(seq) % 100 < 90 THEN 'pending' "
             "WHEN CRC32(seq) % 100 < 93 THEN 'rejected' WHEN CRC32(seq) % 100 < 97 THEN 'revoked' "
             "WHEN CRC32(seq) % 100 < 99 THEN 'failed' ELSE 'queued' END")
# Webhook events and error-log entries span these many minutes in both sizes (one per minute on LARGE),
# so that the same retention prunes the same 10 % of each.
WEBHOOK_SPAN_MINUTES, ERROR_LOG_SPAN_MINUTES = 300_000, 100_000
EVENT_TYPES = ("badge.created", "badge.state.changed", "badge.deleted")


def parse(argv):
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.split("\n")[1])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the databases afterwards, and reuse them if a previous run kept them")
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 3
    return args


# ---------------------------------------------------------------------- loading


def _load(size):
    """Fill the active database with ``SIZES[size]`` by bulk SQL; the small tables through the ORM."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from opaque_keys.edx.keys import CourseKey

    from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization, IssuedBadge, Milestone

    counts = SIZES[size]
    organizations = [CredlyOrganization.objects.create(name=f"Bench org {n}", organization_id=f"bench-org-{n}",
                                                       api_token=f"token-{n}") for n in range(ORGANIZATIONS)]
    BadgeTemplate.objects.bulk_create([
        BadgeTemplate(pk=n + 1, organization=organizations[n % ORGANIZATIONS], template_id=f"bench-template-{n + 1}",
                      name=f"Template {n + 1}", image_url="https://images.example.com/t.png")
        for n in range(TEMPLATES)])
    CourseBadgeTemplate.objects.bulk_create([
        CourseBadgeTemplate(course_id=CourseKey.from_string(f"course-v1:Bench+C{m}+2026"),
                            template_id=(m - 1) % TEMPLATES + 1) for m in range(1, MAPPINGS + 1)], batch_size=1000)
    Milestone.objects.create(name="Five courses", template_id=TEMPLATES, kind="completed", required_count=5)
    statements = [
        "SET foreign_key_checks = 0", "SET unique_checks = 0",
        f"""INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff,
                is_active, date_joined)
            SELECT seq, '!', 0, CONCAT('learner', seq), 'Bench', CONCAT('Learner ', seq),
                CONCAT('learner', seq, '@example.com'), 0, 1, NOW() FROM seq_1_to_{counts['users']}""",
        f"""INSERT INTO standin_course (course_id, display_name, other_course_settings)
            SELECT CONCAT('course-v1:Bench+C', seq, '+2026'), CONCAT('Course ', seq), '{{}}'
            FROM seq_1_to_{MAPPINGS}""",
        # Two badges per learner, badge n of course n % 5000 + 1 and its template; issuance n is badge n's
        # (queued badges whose hash ends in 7 were never tried: no issuance).
        f"""INSERT INTO openedx_credly_issuedbadge (id, user_id, template_id, course_id, recipient_email,
                recipient_name, state, credly_badge_id, accept_url, badge_url, image_url, earned_at, issued_at,
                state_updated_at, trigger_event_type, trigger_event_id, created, modified, current_issuance_id)
            SELECT seq, (seq - 1) DIV 2 + 1, (seq % {MAPPINGS}) % {TEMPLATES} + 1,
                CONCAT('course-v1:Bench+C', seq % {MAPPINGS} + 1, '+2026'),
                CONCAT('learner', (seq - 1) DIV 2 + 1, '@example.com'), CONCAT('Bench Learner ', (seq - 1) DIV 2 + 1),
                state, IF(state IN ('queued', 'failed'), '', CONCAT('cb-', seq)), '', '', '',
                NOW() - INTERVAL (seq % 1000) DAY, IF(state IN ('queued', 'failed'), NULL, NOW()), NOW(),
                'certificate', '', NOW() - INTERVAL (seq % 1000) DAY, NOW() - INTERVAL (CRC32(seq) % 100000) MINUTE,
                IF(state = 'queued' AND seq % 10 = 7, NULL, seq)
            FROM (SELECT seq, {STATE_SQL} AS state FROM seq_1_to_{counts['badges']}) AS numbered""",
        """INSERT INTO openedx_credly_badgeissuance (id, badge_id, number, state, credly_badge_id, outcome_unclear,
                attempts, attempts_allowed, last_error, next_attempt_at, claim_token, revoke_requested,
                revoked_because, created, modified)
            SELECT id, id, 1, state, credly_badge_id, 0, IF(state = 'queued', 0, 1), 5,
                IF(state = 'failed', CONCAT('Credly refused ', recipient_email), ''),
                IF(state = 'queued', modified, NULL), '', 0, '', created, modified
            FROM openedx_credly_issuedbadge WHERE current_issuance_id IS NOT NULL""",
        f"""INSERT INTO openedx_credly_credlyerrorlog (organization_id, created, kind, error, details, badge_id,
                learner_id)
            SELECT seq % {ORGANIZATIONS} + {organizations[0].pk},
                NOW() - INTERVAL (seq * {ERROR_LOG_SPAN_MINUTES} DIV {counts['errors']}) MINUTE,
                IF(seq % 2, 'issuance_failed', 'learner_data'), 'Badge issuance failed',
                CONCAT('The badge was not issued to learner', seq * 7 % {counts['users']} + 1, '@example.com'),
                IF(seq % 2, (seq * 7 % {counts['users']}) * 2 + 1, NULL), seq * 7 % {counts['users']} + 1
            FROM seq_1_to_{counts['errors']}""",
        f"""INSERT INTO openedx_credly_webhookevent (organization_id, event_id, event_type, received_at,
                times_received, processed_at, queued_at, outcome)
            SELECT seq % {ORGANIZATIONS} + {organizations[0].pk}, CONCAT('event-', seq),
                ELT(seq % 3 + 1, {', '.join(repr(t) for t in EVENT_TYPES)}),
                NOW() - INTERVAL (seq * {WEBHOOK_SPAN_MINUTES} DIV {counts['events']}) MINUTE, 1,
                NOW() - INTERVAL seq MINUTE, NOW() - INTERVAL seq MINUTE, IF(seq % 10, 'applied', 'ignored')
            FROM seq_1_to_{counts['events']}""",
        f"""INSERT INTO openedx_credly_coursecompletionrecord (user_id, course_id, completed_at)
            SELECT (seq - 1) DIV 2 + 1, CONCAT('course-v1:Bench+C', seq % {MAPPINGS} + 1, '+2026'),
                NOW() - INTERVAL (seq % 1000) DAY FROM seq_1_to_{counts['completions']}""",
        "SET foreign_key_checks = 1", "SET unique_checks = 1",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        for model in ("auth_user", "openedx_credly_issuedbadge", "openedx_credly_badgeissuance",
                      "openedx_credly_credlyerrorlog", "openedx_credly_webhookevent",
                      "openedx_credly_coursecompletionrecord"):
            cursor.execute(f"ANALYZE TABLE {model}")
            cursor.fetchall()
    get_user_model().objects.create_superuser("bench-admin", "admin@example.com", "!")
    assert IssuedBadge.objects.count() == counts["badges"]


def _activate(name):
    """
    Point Django's connection at the database ``name`` (a fresh connection, outside any timing).

    The cache gets a key prefix per database: each keeps its own warm cache between rounds,
    as a site in steady state does.
    """
    from django.core.cache import cache
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name
    connection.ensure_connection()
    cache.key_prefix = name


def _prepare(size, keep):
    """The database of ``size``: reused when kept by an earlier run, else created, migrated and loaded."""
    from django.core.management import call_command

    db = BenchDatabase(f"scale_{size}")
    db.name = f"credly_bench_scale_{size}"
    exists = _database_has_rows(db.name)
    if keep and exists:
        log(f"{size}: reusing {db.name}")
        _activate(db.name)
        return db
    db.drop()
    db.create()
    _activate(db.name)
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    _load(size)
    log(f"{size}: loaded {db.name} in {time.monotonic() - started:.0f} s")
    return db


def _database_has_rows(name):
    """Whether ``name`` holds the tables and the admin a previous run loaded."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_name = 'openedx_credly_issuedbadge'", [name])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM `{name}`.auth_user WHERE username = 'bench-admin')")
        return bool(cursor.fetchone()[0])


# ---------------------------------------------------------------------- operations


class Site:
    """What the operations of one database need: logged-in clients, an organization, learners to retire."""

    def __init__(self, size):
        from django.contrib.auth import get_user_model
        from django.test import Client

        from openedx_credly.models import CredlyOrganization

        user_model = get_user_model()
        self.size = size
        self.admin = Client()
        self.admin.force_login(user_model.objects.get(username="bench-admin"))
        self.learner = Client()
        self.learner.force_login(user_model.objects.get(pk=SIZES[size]["users"] // 2))
        self.organization = CredlyOrganization.objects.order_by("pk").first()
        self.retiring = iter(range(SIZES[size]["users"] // 3, SIZES[size]["users"], 97))
        self.grade_learners = iter(range(SIZES[size]["users"] // 4, SIZES[size]["users"], 89))
        self.milestone_learners = iter(range(SIZES[size]["users"] // 5, SIZES[size]["users"], 83))

    @staticmethod
    def get(client, url):
        """GET ``url``; a page that does not answer 200 stops the benchmark."""
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        return 1


def _retire(site):
    """Retire the next learner (each round retires another: a retired learner has nothing left to scrub)."""
    from django.contrib.auth import get_user_model

    from openedx_credly.learners import retirement

    retirement.retire_user(get_user_model().objects.get(pk=next(site.retiring)))
    return 1


def _sweep(_site):
    """One sweep: record the heartbeat and list the issuances due again."""
    from openedx_credly.issuing import issuance
    from openedx_credly.operators import health

    health.record_sweep()
    return max(1, len(issuance.due_badge_ids()))


def _certificate_event(site):
    """A certificate of a mapped course, in a transaction rolled back (the badge is recorded, then undone)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone
    from opaque_keys.edx.keys import CourseKey

    from openedx_credly.awarding import recording
    from openedx_credly.awarding.achievements import Achievement

    user = get_user_model().objects.get(pk=next(site.grade_learners))
    with transaction.atomic():
        recording.record_achievement(Achievement(
            user_id=user.pk, course_key=CourseKey.from_string("course-v1:Bench+C4999+2026"), trigger="certificate",
            earned_at=timezone.now(), username=user.username, email=user.email, full_name="Bench Learner"))
        transaction.set_rollback(True)
    return 1


def _milestone(site):
    """A learner's fifth completion earns the "Five courses" milestone, in a transaction rolled back."""
    from django.db import transaction
    from django.utils import timezone
    from opaque_keys.edx.keys import CourseKey

    from openedx_credly.awarding import milestones
    from openedx_credly.awarding.achievements import Achievement
    from openedx_credly.models import CourseCompletionRecord

    user_id, now = next(site.milestone_learners), timezone.now()
    with transaction.atomic():
        CourseCompletionRecord.objects.bulk_create([  # two completions recorded before: four with these
            CourseCompletionRecord(user_id=user_id, course_id=CourseKey.from_string(f"course-v1:Bench+M{n}+2026"),
                                   completed_at=now) for n in range(2)])
        earned = milestones.record_completion_safely(Achievement(
            user_id=user_id, course_key=CourseKey.from_string("course-v1:Bench+M9+2026"), trigger="certificate",
            earned_at=now))
        transaction.set_rollback(True)
    if len(earned) != 1:
        raise RuntimeError(f"the fifth completion of learner {user_id} earned {earned}, not one milestone badge")
    return 1


def _webhook(site):
    """A webhook notification recorded (and its fetch scheduled), in a transaction rolled back."""
    import uuid

    from django.db import transaction

    from openedx_credly.syncing import webhooks

    with transaction.atomic():
        event = webhooks.receive_notification(site.organization.organization_id, f"bench-{uuid.uuid4()}",
                                              "badge.state.changed")
        transaction.set_rollback(True)
    if event is None:
        raise RuntimeError("the webhook notification was not recorded")
    return 1


def operations():
    """``{name: (run(site) -> rows of its own work, per_row)}``, in the order they are printed."""
    from openedx_credly.issuing import issuance
    from openedx_credly.operators import retention
    from openedx_credly.syncing import refresh

    admin = "/admin/openedx_credly/"
    return {
        "admin: issued badges, page 1": (lambda s: s.get(s.admin, f"{admin}issuedbadge/"), False),
        "admin: issued badges of an organization": (
            lambda s: s.get(s.admin, f"{admin}issuedbadge/?organization={s.organization.pk}"), False),
        "admin: issued badges, state failed": (lambda s: s.get(s.admin, f"{admin}issuedbadge/?state__exact=failed"),
                                               False),
        "admin: issued badges, earned this month": (
            lambda s: s.get(s.admin, f"{admin}issuedbadge/?earned=month"), False),
        "admin: issued badges, search an email": (
            lambda s: s.get(s.admin, f"{admin}issuedbadge/?q=learner77%40example.com"), False),
        "admin: Credly errors, page 1": (lambda s: s.get(s.admin, f"{admin}credlyerrorlog/"), False),
        "admin: webhook events, page 1": (lambda s: s.get(s.admin, f"{admin}webhookevent/"), False),
        "admin: webhook events, one event id": (lambda s: s.get(s.admin, f"{admin}webhookevent/?q=event-77"), False),
        "retire one learner": (_retire, False),
        "waiting_badge_ids(organization)": (lambda s: max(1, len(issuance.waiting_badge_ids(s.organization.pk))),
                                            True),
        "sweeper pass (record + due_badge_ids), per id": (_sweep, True),
        "refresh: pending ids (default: all), per id": (lambda s: max(1, len(refresh.pending_badge_ids())), True),
        "refresh: periodic run's ids (limit 500)": (lambda s: len(refresh.pending_badge_ids(limit=500)) and 1, False),
        "prune (count of old rows), per row": (
            lambda s: max(1, sum(retention.prune(webhook_days=WEBHOOK_SPAN_MINUTES * 0.9 / 1440,
                                                 error_log_days=ERROR_LOG_SPAN_MINUTES * 0.9 / 1440,
                                                 dry_run=True).values())), True),
        "learner API": (lambda s: s.get(s.learner, "/api/credly/v1/badges/"), False),
        "learner panel": (lambda s: s.get(s.learner, "/credly/profile/badges/"), False),
        "certificate event": (_certificate_event, False),
        "fifth completion earning a milestone": (_milestone, False),
        "webhook notification received": (_webhook, False),
    }


# ---------------------------------------------------------------------- EXPLAIN


def explain_problems(statements, sizes):
    """
    For each SELECT, the plan steps that scan or sort more than BIG_TABLE_ROWS rows of a big table.

    MariaDB's ``ANALYZE <statement>`` gives EXPLAIN's plan with the rows each step actually
    read (``r_rows``): an index read backwards that stops at its LIMIT is not a full scan,
    though EXPLAIN's estimate (``rows``) gives the table's size for it.
    """
    from django.db import connection

    problems = []
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"ANALYZE {sql}")
            columns = [column[0].lower() for column in cursor.description]
            for row in (dict(zip(columns, values)) for values in cursor.fetchall()):
                real = _real_table(str(row.get("table") or ""), sql)
                if sizes.get(real, 0) <= BIG_TABLE_ROWS:
                    continue
                read = float(row.get("r_rows") or 0) * max(1, float(row.get("r_loops") or 1))
                if read <= BIG_TABLE_ROWS:
                    continue
                if row.get("type") in ("ALL", "index"):
                    problems.append(f"full scan of {real} ({read:.0f} rows read)")
                if "filesort" in str(row.get("extra") or ""):
                    problems.append(f"filesort over {real} ({read:.0f} rows)")
    return sorted(set(problems))


def _real_table(name, sql):
    """The table an EXPLAIN row names (Django aliases tables as U0, T3…)."""
    import re

    match = re.search(rf"`?(\w+)`? (?:AS )?`?{re.escape(name)}`?[ ,)]", sql)
    return match.group(1) if match and name[:1] in "UT" and name[1:].isdigit() else name


def table_sizes():
    """``{table: estimated rows}`` of the active database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, table_rows FROM information_schema.tables WHERE table_schema = DATABASE()")
        return {name: int(rows or 0) for name, rows in cursor.fetchall()}


# ---------------------------------------------------------------------- run


def main(argv=None):
    """Load (or reuse) SMALL and LARGE, time every operation interleaved, and print the result."""
    args = parse(argv)
    result = Result("5. Scale: SMALL (20k badges) and LARGE (2M badges) side by side")
    db = BenchDatabase("scale")
    if not db.mysql:
        raise SystemExit("make bench-scale needs MariaDB: run it with DEVHOST_DB=mysql")
    setup_django(db, {"CELERY_BROKER_URL": "memory://"}, migrate=False)
    databases = {}
    _activate("information_schema")  # a connection before any database of ours exists
    try:
        for size in SIZES:
            databases[size] = _prepare(size, args.keep)
        _measure(args, result, databases)
    finally:
        if not args.keep:
            for database in databases.values():
                database.drop()
    return result.report(args.json)


def _measure(args, result, databases):  # pylint: disable=too-many-locals
    """Interleaved rounds of every operation on both databases; then queries and EXPLAIN on LARGE."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ops = operations()
    sites = {}
    for size, database in databases.items():
        _activate(database.name)
        sites[size] = Site(size)
        for run, _per_row in ops.values():  # warm up (first-view import marks, template caches)
            run(sites[size])
    times = {(name, size): [] for name in ops for size in databases}
    log(f"{args.rounds} rounds of {len(ops)} operations on {len(databases)} databases")
    for _round in range(args.rounds):
        for size, database in databases.items():
            _activate(database.name)
            for name, (run, per_row) in ops.items():
                started = time.perf_counter()
                rows = run(sites[size])
                elapsed = time.perf_counter() - started
                times[(name, size)].append(elapsed / rows if per_row else elapsed)
    _activate(databases["large"].name)
    sizes = table_sizes()
    for name, (run, per_row) in ops.items():
        with CaptureQueriesContext(connection) as captured:
            run(sites["large"])
        statements = [query["sql"] for query in captured.captured_queries]
        problems = explain_problems(statements, sizes)
        small, large = median(times[(name, "small")]), median(times[(name, "large")])
        unit = "per row" if per_row else ""
        result.figures[name] = (f"SMALL {small * 1000:.2f} ms, LARGE {large * 1000:.2f} ms {unit}, "
                                f"×{large / small:.2f}, {len(statements)} queries on LARGE, EXPLAIN: "
                                f"{'; '.join(problems) or 'indexes only'}")
        result.check(f"{name}: LARGE/SMALL{' per row' if per_row else ''}", large / small, "<=", RATIO_TARGET)
        result.check(f"{name}: full scans or filesorts over > 100k rows", len(problems), "==", 0)


if __name__ == "__main__":
    sys.exit(0 if main().passed else 1)
