"""
``python -m benchmarks [--only NAME ...] [--quick]`` (``make bench BENCH_ARGS=...``).

Runs each benchmark in a process of its own (fresh database, fake Credly, Redis
database number) and prints every result with its target and PASS/MISS, then a
summary. Exit status 1 when a benchmark crashed, or (with ``--strict``) missed a target.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks import PYTHON, ROOT

BENCHMARKS = {
    "events": ("benchmarks.event_overhead", "1. Event overhead"),
    "grades": ("benchmarks.grade_events", "1b. Grade and enrollment events"),
    "burst": ("benchmarks.burst_drain", "2. Burst drain"),
    "panel": ("benchmarks.panel", "3. Panel and API"),
    "backfill": ("benchmarks.backfill_memory", "4. Backfill memory"),
}


def main(argv=None):
    """Run the chosen benchmarks and print their summary; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the benchmarks, each in a process of its own (fresh database, fake Credly, Redis "
                    "database), and print every result with its target and PASS or MISS, then a summary.",
        epilog="From the Makefile: make bench BENCH_ARGS=\"--only panel --quick\". "
               "Other options are passed to each benchmark.",
    )
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS),
                        help="run only this benchmark (repeatable)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes: 500 events, 1,000-badge burst, 10,000-certificate backfill")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args, extra = parser.parse_known_args(argv)
    names = args.only or list(BENCHMARKS)
    print(f"openedx-credly benchmarks ({'quick' if args.quick else 'full'} sizes), "
          f"{os.cpu_count()} CPU(s), database: {os.environ.get('DEVHOST_DB', 'sqlite')}", flush=True)
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="credly-bench-") as tmp:
        for name in names:
            module, title = BENCHMARKS[name]
            out = os.path.join(tmp, f"{name}.json")
            command = [PYTHON, "-m", module, "--json", out] + (["--quick"] if args.quick else []) + extra
            print(f"\n### {title}: {' '.join(command[1:])}", flush=True)
            started = time.monotonic()
            code = subprocess.call(command, cwd=str(ROOT), env={**os.environ, "PYTHONPATH": str(ROOT)})
            took = time.monotonic() - started
            if os.path.exists(out):
                with open(out, encoding="utf-8") as handle:
                    outcomes[name] = (json.load(handle), took)
            else:
                outcomes[name] = (None, took)
                print(f"{title}: crashed (exit status {code})", flush=True)

    print("\n==================== summary ====================")
    missed = crashed = False
    for name in names:
        data, took = outcomes[name]
        title = BENCHMARKS[name][1]
        if data is None:
            print(f"{title}: ERROR ({took:.0f} s)")
            crashed = True
            continue
        print(f"{title} ({took:.0f} s)")
        for note in data["notes"]:
            print(f"  note: {note}")
        for check in data["checks"]:
            verdict = "PASS" if check["passed"] else "MISS"
            value = check["value"]
            value = f"{value:.4g}" if isinstance(value, float) else value
            print(f"  [{verdict}] {check['label']}: {value}{check['unit']} (target {check['target']})")
            missed = missed or not check["passed"]
        if not data["checks"]:
            print("  (nothing measured)")
    if missed:
        print("Some targets were missed: see docs/performance.rst for why.")
    return 1 if crashed or (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
