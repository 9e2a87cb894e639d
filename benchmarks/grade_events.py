"""
Benchmark 1b: what the frequent events that award rules listen to cost the platform.

``PERSISTENT_GRADE_SUMMARY_CHANGED`` fires on every graded submission and
``COURSE_ENROLLMENT_CREATED`` on every enrollment, so their cost matters more than a
certificate's. Real ``send_event`` through the host, the plugin's receivers connected by
the plugin mechanism, each event inside its own transaction:

(a) a grade event in a course whose badges have no grade rule (a certificate mapping);
(b) a grade event below the minimum of the course's ``grade`` mapping (min 90 %);
(c) a grade event of a learner who already holds the ``grade`` badge (the steady state
    of a good learner: every later submission sends one);
(d) an enrollment event on a site with no milestone.

The variants are interleaved in rounds; queries per event are counted in separate,
untimed passes.
"""
import argparse
import sys
import time
import uuid
from datetime import datetime, timezone
from decimal import Decimal

from benchmarks import log, make_users, median, run_in_database, seed_plugin

PLAIN = "course-v1:Bench+Plain+2026"
GRADED = "course-v1:Bench+Graded+2026"
TRANSACTION_SQL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def parse(argv):
    """The command line of this benchmark."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grade_events", description=__doc__.split("\n")[1])
    parser.add_argument("--events", type=int, default=2000, help="events per variant (default 2000)")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument("--quick", action="store_true", help="500 events, 5 rounds")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.rounds = 500, 5
    return args


def main(argv=None):
    """Run the benchmark; returns its ``Result``."""
    return run_in_database("grades", "1b. Grade and enrollment events (award rules)", parse(argv), _run)


def _events():
    """``grade(user, course_key, percent)`` and ``enroll(user, course_key)``, each sending the platform's event."""
    # openedx_events needs Django, which is set up only once the benchmark's database exists.
    # pylint: disable=import-outside-toplevel
    from openedx_events.learning.data import (
        CourseData,
        CourseEnrollmentData,
        PersistentCourseGradeData,
        UserData,
        UserPersonalData,
    )
    from openedx_events.learning.signals import COURSE_ENROLLMENT_CREATED, PERSISTENT_GRADE_SUMMARY_CHANGED

    def grade(user, course_key, percent):
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=PersistentCourseGradeData(
            user_id=user.id, course=CourseData(course_key=course_key, display_name="Benchmark"),
            course_edited_timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc), course_version="v1",
            grading_policy_hash="hash", percent_grade=percent, letter_grade="",
            passed_timestamp=None,
        ))

    def enroll(user, course_key):
        COURSE_ENROLLMENT_CREATED.send_event(enrollment=CourseEnrollmentData(
            user=UserData(id=user.id, is_active=True,
                          pii=UserPersonalData(username=user.username, email=user.email, name="")),
            course=CourseData(course_key=course_key, display_name="Benchmark"), mode="audit", is_active=True,
            creation_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        ))

    return grade, enroll


def _run(args, result):
    """Seed the courses and learners, count queries per event, then time the variants in interleaved rounds."""
    # Django is imported once setup_django() configured it.
    # pylint: disable=import-outside-toplevel
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from opaque_keys.edx.keys import CourseKey

    from openedx_credly.models import CourseBadgeTemplate, IssuedBadge

    _organization, template = seed_plugin({"id": str(uuid.uuid4()), "token": "bench-token"},
                                          {"id": str(uuid.uuid4()), "name": "Top of class"}, [PLAIN])
    plain, graded = CourseKey.from_string(PLAIN), CourseKey.from_string(GRADED)
    CourseBadgeTemplate.objects.create(course_id=graded, template=template, trigger="grade", min_grade=Decimal(90))
    grade, enroll = _events()
    count_passes = 20
    log(f"creating {args.events + count_passes + 1} learners")
    users = make_users(args.events + count_passes + 1, "gr-")

    def send(action):
        with transaction.atomic():  # the platform's own transaction around the grade save
            action()

    variants = {
        "a": lambda user: send(lambda: grade(user, plain, 0.95)),
        "b": lambda user: send(lambda: grade(user, graded, 0.42)),
        "c": lambda user: send(lambda: grade(user, graded, 0.97)),
        "d": lambda user: send(lambda: enroll(user, plain)),
    }
    # Warm up the per-process caches, and let every learner earn the grade badge once (for (c)).
    for user in users:
        send(lambda user=user: grade(user, graded, 0.95))
    holders = IssuedBadge.objects.filter(course_id=graded).count()
    for variant in variants.values():
        variant(users[0])

    counts = {}
    for label, variant in variants.items():
        with CaptureQueriesContext(connection) as queries:
            for user in users[-count_passes:]:
                variant(user)
        ours = [q for q in queries.captured_queries if q["sql"].split(" ", 1)[0].upper() not in TRANSACTION_SQL]
        counts[label] = len(ours) / count_passes

    per_round = max(1, args.events // args.rounds)
    times = {label: [] for label in variants}
    log(f"{args.rounds} rounds of {per_round} events per variant")
    for number in range(args.rounds):
        chunk = users[number * per_round:(number + 1) * per_round]
        for label, variant in variants.items():
            started = time.perf_counter()
            for user in chunk:
                variant(user)
            times[label].append((time.perf_counter() - started) / max(1, len(chunk)))

    medians = {label: median(values) for label, values in times.items()}
    result.figures.update({
        "events": f"{per_round * args.rounds} per variant, in {args.rounds} interleaved rounds",
        "time per event (median of rounds)": ", ".join(
            f"({label}) {value * 1000:.3f} ms" for label, value in medians.items()),
        "queries per event": ", ".join(f"({label}) {value:.2f}" for label, value in counts.items()),
        "grade badges recorded (one per learner)": holders,
    })
    result.check("queries per event, (a) grade event, no grade rule", counts["a"], "<=", 1)
    result.check("queries per event, (b) grade below the minimum", counts["b"], "<=", 1)
    result.check("queries per event, (c) grade of a holder", counts["c"], "<=", 2)
    result.check("queries per event, (d) enrollment, no milestone", counts["d"], "<=", 1)
    result.check("grade badges recorded once per learner", holders, "==", len(users))


if __name__ == "__main__":
    sys.exit(0 if main().passed else 1)
