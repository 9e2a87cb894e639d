"""
Benchmark 4: memory of ``manage.py credly_backfill`` over a large course.

For each size (1,000 and 100,000 stand-in certificates), in fresh processes: one seeds
a database (learners and ``devhost.standin`` certificates), then the command runs in a
process of its own, twice: once under ``tracemalloc`` (peak of Python allocations
during the command) and once without it (the process's peak RSS and the time taken).
A command that streams its earners keeps both flat whatever the course's size.

By default the command runs with ``--dry-run`` (reads every earner, records and sends
nothing), because a real run of 100,000 badges takes minutes here; ``--real`` records
the badges and enqueues them to a Redis broker with no worker.
"""
# Django is imported in the child processes, once their environment names their database.
# pylint: disable=import-outside-toplevel
import argparse
import json
import os
import subprocess
import sys
import time

from benchmarks import PYTHON, ROOT, BenchDatabase, PrivateRedis, Result, log, redis_available

COURSE = "course-v1:Bench+Backfill+2026"
REDIS_DB_BACKFILL = int(os.environ.get("BENCH_REDIS_DB_BACKFILL", "10"))


def parse(argv):
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backfill_memory", description=__doc__.split("\n")[1])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--real", action="store_true", help="record and enqueue the badges (no --dry-run)")
    parser.add_argument("--quick", action="store_true", help="1,000 vs 10,000")
    parser.add_argument("--json", help="write the result here")
    parser.add_argument("--child", choices=["seed", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.large = 10_000
    return args


# ---------------------------------------------------------------------- children


def _child_seed(size):
    """In a child process: create ``size`` learners who earned the course."""
    from benchmarks import setup_django

    setup_django(_ChildDatabase(), migrate=False)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from datetime import datetime, timedelta, timezone

    from django.contrib.auth import get_user_model
    from opaque_keys.edx.keys import CourseKey

    from benchmarks import seed_plugin
    from devhost.standin.models import Certificate

    seed_plugin({"id": "bench-org", "token": "bench-token"}, {"id": "bench-template", "name": "Backfill"}, [COURSE])
    course_key = CourseKey.from_string(COURSE)
    user_model = get_user_model()
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    batch = 5000
    for offset in range(0, size, batch):
        numbers = range(offset, min(size, offset + batch))
        user_model.objects.bulk_create([
            user_model(username=f"bf{n}", email=f"bf{n}@example.com", first_name="Back", last_name=f"Fill {n}",
                       password="!") for n in numbers])
        ids = user_model.objects.filter(username__in=[f"bf{n}" for n in numbers]).values_list("id", flat=True)
        Certificate.objects.bulk_create([
            Certificate(user_id=user_id, course_id=course_key, status="downloadable",
                        created_date=start + timedelta(seconds=n)) for n, user_id in enumerate(ids)])


class _ChildDatabase:
    """The database the parent made, as the environment names it."""

    def env(self):
        return {}

    def create(self):
        pass


def _child_measure(size, dry_run, use_tracemalloc):
    """In a child process: run the backfill and print its peak memory as JSON."""
    import resource

    from benchmarks import setup_django

    setup_django(_ChildDatabase(), migrate=False)
    from io import StringIO

    from django.core.management import call_command

    if not dry_run:
        # Each measured run starts from no badge recorded (the run before recorded them all).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM openedx_credly_issuedbadge")
    before_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    out = StringIO()
    options = {"course": COURSE, "progress_every": 10_000, "stdout": out}
    if dry_run:
        options["dry_run"] = True
    started = time.perf_counter()
    call_command("credly_backfill", **options)
    elapsed = time.perf_counter() - started
    answer = {"size": size, "seconds": elapsed, "rss_before_kb": before_rss,
              "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              "summary": [line for line in out.getvalue().splitlines() if not line.startswith("...")]}
    if use_tracemalloc:
        answer["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
    print("RESULT=" + json.dumps(answer), flush=True)


# ---------------------------------------------------------------------- parent


def _run_child(db, extra_env, *args):
    """Run this module in a child process on ``db``; returns what it printed last, as JSON."""
    env = {**os.environ, **db.env(), **extra_env, "PYTHONPATH": str(ROOT), "DEVHOST_DEBUG": "0"}
    completed = subprocess.run([PYTHON, "-m", "benchmarks.backfill_memory", *args], cwd=str(ROOT), env=env,
                               capture_output=True, text=True, check=False)
    if completed.returncode:
        raise RuntimeError(f"child {args} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT="):
            return json.loads(line.split("=", 1)[1])
    return None


def main(argv=None):
    """Seed or measure (in a child), or run the whole benchmark and print the result."""
    args = parse(argv)
    if args.child == "seed":
        _child_seed(args.size)
        return None
    if args.child == "measure":
        _child_measure(args.size, not args.real, args.tracemalloc)
        return None

    result = Result("4. Backfill memory (manage.py credly_backfill)")
    extra_env = {"CELERY_BROKER_URL": "memory://"}
    redis_server = None
    if args.real:
        if not redis_available():
            result.notes.append("--real needs Redis (the badges are enqueued there); it is not reachable")
            result.print()
            return result
        redis_server = PrivateRedis(REDIS_DB_BACKFILL).start()
        extra_env["CELERY_BROKER_URL"] = redis_server.url
    result.figures["mode"] = "real run: badges recorded and enqueued to Redis (no worker)" if args.real else (
        "--dry-run: every earner read and checked, nothing recorded")
    measured = {}
    for size in (args.small, args.large):
        db = BenchDatabase(f"backfill{size}")
        db.create()
        try:
            log(f"seeding {size} learners and certificates")
            _run_child(db, extra_env, "--child", "seed", "--size", str(size))
            flags = ["--real"] if args.real else []
            log(f"backfill of {size}: under tracemalloc")
            traced = _run_child(db, extra_env, "--child", "measure", "--size", str(size), "--tracemalloc", *flags)
            log(f"backfill of {size}: plain")
            plain = _run_child(db, extra_env, "--child", "measure", "--size", str(size), *flags)
            measured[size] = {**plain, "tracemalloc_peak": traced["tracemalloc_peak"]}
        finally:
            db.drop()
    if redis_server:
        redis_server.stop()
    small, large = measured[args.small], measured[args.large]
    for size, figures in measured.items():
        result.figures[f"{size:,} certificates"] = (
            f"Python peak {figures['tracemalloc_peak'] / 1e6:.2f} MB (tracemalloc), process peak RSS "
            f"{figures['rss_peak_kb'] / 1024:.1f} MB (after Django start {figures['rss_before_kb'] / 1024:.1f} MB), "
            f"{figures['seconds']:.1f} s; {' / '.join(figures['summary'][-4:-1])}")
    result.check(f"peak Python memory {args.large:,} : {args.small:,}",
                 large["tracemalloc_peak"] / small["tracemalloc_peak"], "<=", 1.5)
    growth_large = large["rss_peak_kb"] - large["rss_before_kb"]
    growth_small = max(1, small["rss_peak_kb"] - small["rss_before_kb"])
    result.figures["RSS growth during the command"] = (
        f"{growth_small / 1024:.1f} MB ({args.small:,}) vs {growth_large / 1024:.1f} MB ({args.large:,})")
    result.check(f"peak RSS {args.large:,} : {args.small:,}", large["rss_peak_kb"] / small["rss_peak_kb"], "<=", 1.5)
    return result.report(args.json)


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome is None or outcome.passed else 1)
