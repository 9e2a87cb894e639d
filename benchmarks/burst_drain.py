"""
Benchmark 2: draining a burst of queued badges.

A course ends and thousands of certificates arrive at once: N badges are queued
(rows in state ``queued``, one ``issue_badge`` message each on a real Redis broker)
and 2 Celery worker processes (``celery -A devhost worker --concurrency 1``) send them.

Phase 1, capped: the fake Credly allows R requests per second (token bucket, 429 with
``Retry-After: 1`` beyond it). Achieved issue rate / R, 429s received, badges issued,
duplicates on the fake.

Phase 2, uncapped: the same with no limit, against the fake server's own capacity
measured in the same run by a plain ``requests`` loop with the same concurrency
(2 processes POSTing badges one after the other); the plain loop runs before and after
the plugin's drain and the better of the two is the reference.
"""
# Django is imported once the environment points at the broker and the fake Credly.
# pylint: disable=import-outside-toplevel
import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter

from benchmarks import (
    PYTHON,
    REDIS_DB_BURST,
    REDIS_URL,
    ROOT,
    BenchDatabase,
    FakeCredlyProcess,
    PrivateRedis,
    Result,
    log,
    redis_available,
    seed_credly,
    seed_plugin,
    setup_django,
)

COURSE = "course-v1:Bench+Burst+2026"
WORKERS = 2


def parse(argv):
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.burst_drain", description=__doc__.split("\n")[1])
    parser.add_argument("--badges", type=int, default=10_000, help="badges in the capped burst (default 10000)")
    parser.add_argument("--uncapped-badges", type=int, default=None,
                        help="badges in the uncapped burst (default: same as --badges)")
    parser.add_argument("--rate", type=float, default=50, help="the fake's cap, requests/s (default 50)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="the fake's answer time in seconds, both phases and the plain loop (default 0)")
    parser.add_argument("--realistic-latency", type=float, default=0.1,
                        help="a second uncapped phase with the fake answering in this many seconds, as Credly "
                             "does over the internet (default 0.1; 0 skips it)")
    parser.add_argument("--realistic-badges", type=int, default=1000,
                        help="badges in that phase (default 1000)")
    parser.add_argument("--skip-capped", action="store_true")
    parser.add_argument("--skip-uncapped", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1000 badges")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per phase")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    if args.quick:
        args.badges = 1000
        args.realistic_badges = 200
    if args.uncapped_badges is None:
        args.uncapped_badges = args.badges
    return args


class Workers:
    """``count`` Celery worker processes of the host, each with one child process."""

    def __init__(self, env, count=WORKERS, logdir=None):
        self.env = env
        self.count = count
        self.logdir = logdir
        self.processes = []

    def start(self):
        """Start the worker processes, each logging to its own file."""
        for number in range(self.count):
            log_path = os.path.join(self.logdir, f"worker{number}.log")
            self.processes.append(subprocess.Popen(  # pylint: disable=consider-using-with
                [PYTHON, "-m", "celery", "-A", "devhost", "worker", "--concurrency", "1", "--pool", "prefork",
                 "--hostname", f"bench{number}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "--loglevel", os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
                 "--logfile", log_path],
                cwd=str(ROOT), env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            ))
        return self

    def wait_ready(self, app, timeout=60):
        """Until every worker answers a ping (they are then consuming)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=1.0) or []
            if len(replies) >= self.count:
                return
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"a worker exited; see {self.logdir}")
        raise RuntimeError(f"workers not ready after {timeout} s; see {self.logdir}")

    def stop(self):
        """Stop the workers, killing those that do not exit."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []


def _plain_loop_worker(args):
    """One process of the plain loop: POST ``count`` badges one after the other."""
    api_base_url, org_id, token, template_id, prefix, count = args
    import requests

    session = requests.Session()
    session.trust_env = False
    url = f"{api_base_url}organizations/{org_id}/badges"
    started = time.perf_counter()
    ok = 0
    for number in range(count):
        response = session.post(url, auth=(token, ""), headers={"Accept": "application/json"}, json={
            "recipient_email": f"{prefix}{number}@example.com", "issued_to_first_name": "Plain",
            "issued_to_last_name": "Loop", "badge_template_id": template_id,
            "issued_at": "2026-11-25 14:03:00 +0000", "issuer_earner_id": f"{prefix}{number}",
        }, timeout=30)
        ok += response.status_code == 201
    return ok, time.perf_counter() - started


def plain_loop_rate(fake, org, template, count, label):
    """Badges per second a plain requests loop gets from the fake with WORKERS processes."""
    per_process = max(1, count // WORKERS)
    jobs = [(fake.api_base_url, org["id"], org["token"], template["id"], f"plain-{label}-{n}-", per_process)
            for n in range(WORKERS)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        answers = pool.map(_plain_loop_worker, jobs)
    wall = time.perf_counter() - started
    issued = sum(ok for ok, _ in answers)
    # Each process's own span, so starting the pool is not counted against the fake.
    return issued / max(elapsed for _, elapsed in answers), issued, wall


def queue_badges(template, count, prefix):
    """``count`` learners with one queued badge each, in bulk; returns the badge ids."""
    from django.utils import timezone
    from opaque_keys.edx.keys import CourseKey

    from benchmarks import make_users
    from openedx_credly.models import IssuedBadge

    users = make_users(count, prefix)
    course_key = CourseKey.from_string(COURSE)
    now = timezone.now()
    IssuedBadge.objects.bulk_create([
        IssuedBadge(user=user, template=template, course_id=course_key, recipient_email=user.email,
                    recipient_name=user.get_full_name(), earned_at=now, trigger_event_type="benchmark")
        for user in users
    ], batch_size=1000)
    return list(IssuedBadge.objects.filter(user__username__startswith=prefix).values_list("id", flat=True))


def drain(ids, workers_app, timeout):
    """Enqueue ``ids`` and wait until none is queued; returns (seconds, sent, counts by state)."""
    from django.db.models import Max

    from openedx_credly import tasks
    from openedx_credly.issuing import scheduling
    from openedx_credly.models import IssuedBadge

    del workers_app
    started_wall = time.time()
    started = time.perf_counter()
    scheduling.enqueue(scheduling.ISSUE_BADGE, ids)
    log(f"enqueued {len(ids)} in {time.perf_counter() - started:.1f} s")
    badges = IssuedBadge.objects.filter(id__in=ids) if len(ids) < 900 else IssuedBadge.objects.filter(
        id__gte=min(ids), id__lte=max(ids))
    last_report = time.perf_counter()
    last_change, last_waiting, swept = time.perf_counter(), None, 0
    while time.perf_counter() - started < timeout:
        waiting = badges.filter(state=IssuedBadge.STATE_QUEUED).count()
        if not waiting:
            break
        if waiting != last_waiting:
            last_change, last_waiting = time.perf_counter(), waiting
        elif time.perf_counter() - last_change > 30:
            # Nothing moved for 30 s: messages were lost. Beat would run the sweeper; so do we, and say so.
            swept += tasks.process_queue()
            log(f"  stalled with {waiting} waiting: the sweeper re-enqueued {swept} so far")
            last_change = time.perf_counter()
        if time.perf_counter() - last_report > 15:
            log(f"  {len(ids) - waiting} sent, {waiting} waiting")
            last_report = time.perf_counter()
        time.sleep(0.2)
    # The last row's own write time, not the poll's, ends the drain.
    last = badges.exclude(state=IssuedBadge.STATE_QUEUED).aggregate(last=Max("modified"))["last"]
    elapsed = (last.timestamp() - started_wall) if last else time.perf_counter() - started
    states = Counter(badges.values_list("state", flat=True))
    if swept:
        states["re-enqueued by the sweeper after a stall"] = swept
    return elapsed, states


def duplicates_on_fake(control):
    keys = Counter((b["recipient_email"].lower(), b["badge_template"]["id"]) for b in control.all_badges()
                   if b["state"] != "revoked")
    return sum(n - 1 for n in keys.values() if n > 1)


def main(argv=None):
    """Run both bursts and print (or write as JSON) the result."""
    args = parse(argv)
    result = Result("2. Burst drain (Redis broker, 2 worker processes)")
    if not redis_available():
        result.notes.append(f"Redis is not reachable at {REDIS_URL}: skipped")
        return result.report(args.json)
    db = BenchDatabase("burst")
    fake = FakeCredlyProcess().start()
    redis_server = PrivateRedis(REDIS_DB_BURST).start()
    env_extra = {"CELERY_BROKER_URL": redis_server.url, **fake.settings_env()}
    workers = None
    try:
        setup_django(db, env_extra)
        result.figures["broker"] = f"Redis ({redis_server.description})"
        # Workers keep their database connection between tasks, as a production LMS should
        # (CONN_MAX_AGE); Django's default of 0 reconnects for every task.
        worker_env = {"DEVHOST_CONN_MAX_AGE": "60", **os.environ, "PYTHONPATH": str(ROOT)}
        result.figures["workers"] = (f"{WORKERS} x celery worker --concurrency 1, "
                                     f"CONN_MAX_AGE={worker_env['DEVHOST_CONN_MAX_AGE']}")
        result.figures["database"] = db.description.split(" /")[0]
        result.figures["fake latency"] = f"{args.latency * 1000:.0f} ms"
        from devhost.celery import app

        org, template_data = seed_credly(fake.control)
        _organization, template = seed_plugin(org, template_data, [COURSE])
        fake.control.set_latency(args.latency)
        workers = Workers(worker_env, logdir=db.tmpdir).start()
        workers.wait_ready(app)
        log("workers ready")
        if not args.skip_capped:
            _capped(args, result, fake, template, app)
        if not args.skip_uncapped:
            burst = {"fake": fake, "org": org, "template_data": template_data, "template": template, "app": app}
            _uncapped(args, result, burst, count=args.uncapped_badges, latency=args.latency, label="uncapped")
            if args.realistic_latency:
                _uncapped(args, result, burst, count=args.realistic_badges, latency=args.realistic_latency,
                          label=f"uncapped, {args.realistic_latency * 1000:.0f} ms latency")
                fake.control.set_latency(args.latency)
    finally:
        if workers:
            workers.stop()
        fake.stop()
        redis_server.stop()
        db.drop()
    return result.report(args.json)


def _capped(args, result, fake, template, app):
    """The burst against a rate-limited Credly: every badge issued, none lost, the pauses logged once."""
    from openedx_credly.models import CredlyErrorLog, CredlyOrganization

    ids = queue_badges(template, args.badges, "cap-")
    fake.control.set_rate_limit(args.rate)
    before = fake.control.stats()
    timeout = args.timeout or max(120, 4 * args.badges / args.rate)
    log(f"capped phase: {args.badges} badges at {args.rate:g}/s (timeout {timeout:.0f} s)")
    elapsed, states = drain(ids, app, timeout)
    after = fake.control.stats()
    fake.control.set_rate_limit(None)
    CredlyOrganization.objects.update(issuing_paused_until=None)
    issued = states.get("pending", 0) + states.get("accepted", 0)
    rate = issued / elapsed
    duplicates = duplicates_on_fake(fake.control)
    result.figures.update({
        f"capped at {args.rate:g}/s": f"{issued} of {args.badges} issued in {elapsed:.1f} s = {rate:.1f}/s",
        "capped: 429s received": after["responses_429"] - before["responses_429"],
        "capped: requests to the fake": after["requests_total"] - before["requests_total"],
        "capped: rate-limit entries in the error log": CredlyErrorLog.objects.filter(
            kind=CredlyErrorLog.KIND_RATE_LIMITED).count(),
        "capped: badge states": dict(states),
    })
    result.check("capped: issue rate / cap", rate / args.rate, ">=", 0.9)
    result.check("capped: badges issued", issued, "==", args.badges)
    result.check("capped: duplicates on the fake", duplicates, "==", 0)


def _uncapped(args, result, burst, *, count, latency, label):  # pylint: disable=too-many-locals
    """A burst against an uncapped Credly answering after ``latency`` seconds: the drain rate."""
    fake, org, template_data, template, app = (
        burst["fake"], burst["org"], burst["template_data"], burst["template"], burst["app"])
    fake.control.set_latency(latency)
    prefix = f"free{int(latency * 1000)}-"
    ids = queue_badges(template, count, prefix)
    log(f"{label} phase: plain loop, {count} badges")
    # The plain loop needs fewer requests to show the fake's rate (and takes long with latency).
    plain_count = min(count, 400 if latency else 2000)
    plain_before, _, _ = plain_loop_rate(fake, org, template_data, plain_count, f"{prefix}before")
    before = fake.control.stats()
    elapsed, states = drain(ids, app, args.timeout or max(300, count / 5))
    after = fake.control.stats()
    plain_after, _, _ = plain_loop_rate(fake, org, template_data, plain_count, f"{prefix}after")
    issued = states.get("pending", 0) + states.get("accepted", 0)
    rate = issued / elapsed
    capacity = max(plain_before, plain_after)
    result.figures.update({
        f"{label}: plugin": f"{issued} of {count} issued in {elapsed:.1f} s = {rate:.1f}/s "
                            f"({(after['requests_total'] - before['requests_total'])} requests)",
        f"{label}: badge states": dict(states),
        f"{label}: plain requests loop, 2 processes": f"{plain_before:.1f}/s before, {plain_after:.1f}/s after",
    })
    result.check(f"{label}: issue rate / the fake's capacity", rate / capacity, ">=", 0.8)
    result.check(f"{label}: badges issued", issued, "==", count)
    result.check(f"{label}: duplicates on the fake (all phases so far)", duplicates_on_fake(fake.control), "==", 0)


if __name__ == "__main__":
    sys.exit(0 if main().passed else 1)
