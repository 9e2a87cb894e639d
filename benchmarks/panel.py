"""
Benchmark 3: a learner's badges, as JSON (``GET /api/credly/v1/badges/``) and as the
framed profile panel (``GET /credly/profile/badges/``), for learners holding 1, 100 and
1,000 badges (each from its own course, so course names are looked up too).

Requests go through Django's test ``Client`` (the whole middleware stack, a logged-in
session). Sizes and endpoints are interleaved in rounds; the medians are compared.
Queries are counted in a separate pass.
"""
# Django is imported once the environment of the run is set.
# pylint: disable=import-outside-toplevel
import argparse
import sys
import time

from benchmarks import log, make_users, median, run_in_database, seed_plugin

SIZES = (1, 100, 1000)
ENDPOINTS = {"API": "/api/credly/v1/badges/", "panel": "/credly/profile/badges/"}


def parse(argv):
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.panel", description=__doc__.split("\n")[1])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds (default 30)")
    parser.add_argument("--quick", action="store_true", help="10 rounds")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 10
    return args


def seed(sizes):
    """One learner per size, each holding that many pending badges from as many courses."""
    from django.utils import timezone
    from opaque_keys.edx.keys import CourseKey

    from devhost.standin.models import Course
    from openedx_credly.models import IssuedBadge

    most = max(sizes)
    course_ids = [f"course-v1:Bench+P{n}+2026" for n in range(most)]
    _organization, template = seed_plugin({"id": "bench-org", "token": "bench-token"},
                                          {"id": "bench-template", "name": "Panel <b>Finisher</b>"}, [])
    template.description = "Finished a course. <script>alert(1)</script>"
    template.image_url = "https://images.example.com/finisher.png"
    template.save()
    Course.objects.bulk_create([Course(course_id=CourseKey.from_string(c), display_name=f"Course {n}")
                                for n, c in enumerate(course_ids)])
    learners = {}
    now = timezone.now()
    for size, user in zip(sizes, make_users(len(sizes), "panel-")):
        IssuedBadge.objects.bulk_create([
            IssuedBadge(user=user, template=template, course_id=CourseKey.from_string(course_ids[n]),
                        recipient_email=user.email, recipient_name="Panel Learner", earned_at=now,
                        state=IssuedBadge.STATE_PENDING, credly_badge_id=f"b-{size}-{n}",
                        accept_url=f"https://credly.example.com/earner/badges/b-{size}-{n}/accept",
                        badge_url=f"https://credly.example.com/badges/b-{size}-{n}",
                        image_url="https://images.example.com/b.png")
            for n in range(size)
        ], batch_size=500)
        learners[size] = user
    return learners


def main(argv=None):
    """Seed the learners, time the endpoints and print (or write as JSON) the result."""
    return run_in_database("panel", "3. Panel and API (a learner's badges)", parse(argv), _run)


def _run(args, result):  # pylint: disable=too-many-locals
    """Time each endpoint for each size in interleaved rounds, then count the queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    learners = seed(SIZES)
    clients = {}
    for size, user in learners.items():
        client = Client()
        client.force_login(user)
        for url in ENDPOINTS.values():  # warm up: first-view import mark, template caches
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        clients[size] = client

    queries = {}
    sizes_seen = {}
    for size, client in clients.items():
        for name, url in ENDPOINTS.items():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            queries[(name, size)] = len(captured.captured_queries)
            if name == "API":
                sizes_seen[size] = response.json()["count"]
            elif b"<script>alert(1)</script>" in response.content:
                result.notes.append("the panel rendered a template description's <script> unescaped")

    times = {(name, size): [] for name in ENDPOINTS for size in SIZES}
    log(f"{args.rounds} rounds of {len(times)} requests")
    for _round in range(args.rounds):
        for size, client in clients.items():
            for name, url in ENDPOINTS.items():
                started = time.perf_counter()
                client.get(url)
                times[(name, size)].append(time.perf_counter() - started)

    for name, url in ENDPOINTS.items():
        row = ", ".join(f"{size}: {median(times[(name, size)]) * 1000:.1f} ms / {queries[(name, size)]} queries"
                        for size in SIZES)
        result.figures[f"{name} {url}"] = row
    result.figures["badges listed by the API"] = sizes_seen
    for name in ENDPOINTS:
        ratio = median(times[(name, 1000)]) / median(times[(name, 1)])
        result.check(f"{name}: time 1,000 : 1 badges", ratio, "<=", 3)
        result.check(f"{name}: queries 1,000 : 1 badges", queries[(name, 1000)] / queries[(name, 1)], "==", 1)
    result.check("API lists every badge", int(sizes_seen == {size: size for size in SIZES}), "==", 1)


if __name__ == "__main__":
    sys.exit(0 if main().passed else 1)
