"""``python -m demo [--no-serve] [--broker redis://127.0.0.1:6379/5] [--port 8000]``."""
import argparse
import os
import sys
from pathlib import Path

DEFAULT_STATE_DIR = Path(__file__).resolve().parent / "state"


def parse_args(argv=None):
    """The demo's options."""
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Issue Credly badges end to end against a fake Credly, "
                    "then serve the admin and the learner's page.",
    )
    parser.add_argument("--no-serve", action="store_true",
                        help="run the scenario and exit (0 on success) instead of serving the site")
    parser.add_argument("--port", type=int, default=8000, help="port of the site on 127.0.0.1 (default 8000)")
    parser.add_argument("--credly-port", type=int, default=0,
                        help="port of the fake Credly on 127.0.0.1 (default: any free port)")
    parser.add_argument("--broker", default=os.environ.get("CELERY_BROKER_URL") or None,
                        help="a Redis URL: issue through a real Celery worker process instead of in-process "
                             "(default: $CELERY_BROKER_URL, else in-process)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help="where the demo database and worker log go; recreated on each run, refused while "
                             "another demo uses it (default demo/state)")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the demo; returns the process exit code."""
    args = parse_args(argv)
    # Imported late so that --help works even before `make requirements`.
    from demo.scenario import run  # pylint: disable=import-outside-toplevel

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
