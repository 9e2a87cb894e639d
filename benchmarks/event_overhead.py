"""
Benchmark 1: what a CERTIFICATE_CREATED event costs the platform.

Real openedx-events ``send_event`` through the host, with the plugin's receivers
connected by the plugin mechanism, each event inside its own transaction (the
platform saves the certificate in one), timed from ``send_event`` to the end of the
commit, ``on_commit`` callbacks included:

(a) the course is not mapped to a badge;
(b) the course is mapped: the badge row is inserted and, on commit, the issuing task is
    enqueued to a real broker (Redis with no worker, so nothing is sent: this is what
    the platform pays, not what the worker does);
(c) a naive integration's receiver that POSTs the badge to Credly synchronously, as
    another integration does, against the fake Credly answering in 150 ms.

The three are interleaved in rounds and each round's time per event is kept; the
medians are compared. Queries per event are counted in separate, untimed passes
(recording queries slows them down).
"""
# Django is imported once the environment of the run is set.
# pylint: disable=import-outside-toplevel
import argparse
import sys
import time

from benchmarks import (
    REDIS_DB_EVENTS,
    BenchDatabase,
    FakeCredlyProcess,
    PrivateRedis,
    Result,
    log,
    make_users,
    median,
    redis_available,
    seed_credly,
    seed_plugin,
    setup_django,
)

MAPPED = "course-v1:Bench+Mapped+2026"
UNMAPPED = "course-v1:Bench+Unmapped+2026"
NAIVE = "course-v1:Bench+Naive+2026"
LATENCY = 0.15
TRANSACTION_SQL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def parse(argv):
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.event_overhead", description=__doc__.split("\n")[1])
    parser.add_argument("--events", type=int, default=2000, help="events for (a) and for (b) (default 2000)")
    parser.add_argument("--naive-events", type=int, default=100,
                        help="events for (c); each takes the fake's 150 ms (default 100)")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument("--broker", choices=["redis", "memory"], default="redis",
                        help="broker of (b); redis falls back to memory when Redis is down")
    parser.add_argument("--quick", action="store_true", help="500 events, 20 naive ones, 5 rounds")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.naive_events, args.rounds = 500, 20, 5
    return args


def certificate(user, course_key):
    """The CertificateData the LMS sends for a downloadable certificate."""
    from openedx_events.learning.data import CertificateData, CourseData, UserData, UserPersonalData

    return CertificateData(
        user=UserData(id=user.id, is_active=True,
                      pii=UserPersonalData(username=user.username, email=user.email, name=user.get_full_name())),
        course=CourseData(course_key=course_key, display_name="Benchmark course"),
        mode="verified", grade="0.9", current_status="downloadable", previous_status="", download_url="", name="",
    )


def main(argv=None):
    """Run the three cases and print (or write as JSON) the result."""
    args = parse(argv)
    result = Result("1. Event overhead (CERTIFICATE_CREATED through the host)")
    use_redis = args.broker == "redis" and redis_available()
    redis_server = PrivateRedis(REDIS_DB_EVENTS).start() if use_redis else None
    broker = redis_server.url if use_redis else "memory://"
    db = BenchDatabase("events")
    fake = FakeCredlyProcess().start()
    try:
        setup_django(db, {"CELERY_BROKER_URL": broker, **fake.settings_env()})
        result.figures["database"] = db.description.split(" /")[0]
        result.figures["broker of (b)"] = f"Redis ({redis_server.description}), no worker" if use_redis \
            else "memory://"
        _run(args, result, fake)
    finally:
        fake.stop()
        if redis_server:
            redis_server.stop()
        db.drop()
    return result.report(args.json)


def _run(args, result, fake):  # pylint: disable=too-many-locals,too-many-statements
    """Send the events of (a), (b) and (c) in interleaved rounds and record the figures."""
    import requests
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from opaque_keys.edx.keys import CourseKey
    from openedx_events.learning.signals import CERTIFICATE_CREATED

    from openedx_credly.credly import CredlyClient, TokenAuth
    from openedx_credly.models import IssuedBadge

    org, template = seed_credly(fake.control)
    seed_plugin(org, template, [MAPPED])
    fake.control.set_latency(LATENCY)
    mapped, unmapped, naive_course = (CourseKey.from_string(c) for c in (MAPPED, UNMAPPED, NAIVE))
    count_passes = 20
    log(f"creating {2 * args.events + args.naive_events + 2 * count_passes + 2} learners")
    users_a = make_users(args.events + count_passes + 1, "ev-a-")
    users_b = make_users(args.events + count_passes + 1, "ev-b-")
    users_c = make_users(args.naive_events, "ev-c-")

    # The naive integration: one synchronous POST per event, in the platform's request.
    naive_client = CredlyClient(api_base_url=fake.api_base_url, organization_id=org["id"],
                                auth=TokenAuth(org["token"]), timeout=10, session=requests.Session())

    def naive_receiver(**kwargs):
        data = kwargs["certificate"]
        if data.course.course_key != naive_course:
            return
        pii = data.user.pii
        first, _, last = pii.name.partition(" ")
        try:
            naive_client.issue_badge({
                "recipient_email": pii.email, "issued_to_first_name": first or pii.username,
                "issued_to_last_name": last or pii.username, "badge_template_id": template["id"],
                "issued_at": time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime()),
            })
        except Exception:  # pylint: disable=broad-except
            pass

    CERTIFICATE_CREATED.connect(naive_receiver, weak=False)

    def send(user, course_key):
        with transaction.atomic():  # the platform's own transaction around the certificate save
            CERTIFICATE_CREATED.send_event(certificate=certificate(user, course_key))

    # Warm up (connections, the learning-path index cached once per process), then count the
    # queries per event apart from the timing (CaptureQueriesContext slows queries down).
    send(users_a.pop(), unmapped)
    send(users_b.pop(), mapped)
    counts = {}
    for label, users, course_key in (("a", users_a[-count_passes:], unmapped),
                                     ("b", users_b[-count_passes:], mapped)):
        with CaptureQueriesContext(connection) as queries:
            for user in users:
                send(user, course_key)
        # BEGIN and COMMIT are the platform's own transaction, not the plugin's queries.
        ours = [q for q in queries.captured_queries if q["sql"].split(" ", 1)[0].upper() not in TRANSACTION_SQL]
        counts[label] = len(ours) / len(users)
    users_a, users_b = users_a[:-count_passes], users_b[:-count_passes]

    per_round = max(1, args.events // args.rounds)
    naive_per_round = max(1, args.naive_events // args.rounds)
    times = {"a": [], "b": [], "c": []}
    log(f"{args.rounds} rounds of {per_round} (a), {per_round} (b), {naive_per_round} (c) events")
    for number in range(args.rounds):
        for label, users, course_key in (
            ("a", users_a[number * per_round:(number + 1) * per_round], unmapped),
            ("b", users_b[number * per_round:(number + 1) * per_round], mapped),
            ("c", users_c[number * naive_per_round:(number + 1) * naive_per_round], naive_course),
        ):
            if not users:
                continue
            started = time.perf_counter()
            for user in users:
                send(user, course_key)
            times[label].append((time.perf_counter() - started) / len(users))
    CERTIFICATE_CREATED.disconnect(naive_receiver)

    queued = IssuedBadge.objects.filter(state=IssuedBadge.STATE_QUEUED).count() - 1  # minus the warm-up
    sent_naive = fake.control.stats()["badges_issued"]
    a, b, c = (median(times[label]) for label in "abc")
    result.figures.update({
        "events": f"(a) {per_round * args.rounds}, (b) {per_round * args.rounds}, "
                  f"(c) {naive_per_round * args.rounds}, in {args.rounds} interleaved rounds",
        "time per event (median of rounds)": f"(a) {a * 1000:.3f} ms, (b) {b * 1000:.3f} ms, (c) {c * 1000:.1f} ms",
        "queries per event": f"(a) {counts['a']:.2f}, (b) {counts['b']:.2f}",
        "badges queued by (b) / sent by (c)": f"{queued} / {sent_naive}",
        "(b) - (a), the plugin's work on a mapped course": f"{(b - a) * 1000:.3f} ms "
                                                           f"({(b - a) / c:.2%} of (c))",
    })
    result.check("(b)/(c) time per event", b / c, "<", 0.01)
    result.check("queries per event, (a) not mapped", counts["a"], "<=", 1)
    result.check("queries per event, (b) mapped", counts["b"], "<=", 4)
    if queued != per_round * args.rounds + count_passes:
        result.notes.append(f"expected {per_round * args.rounds + count_passes} queued badges, found {queued}")
        result.check("every (b) event queued its badge", 0, "==", 1)


if __name__ == "__main__":
    sys.exit(0 if main().passed else 1)
