"""``python -m fake_credly --port 8123 [--seed-demo] [--verbose]``: serve in the foreground."""
import argparse
import json
import signal
import sys

from .server import FakeCredlyServer


def main(argv=None) -> None:
    """Start the fake on 127.0.0.1, print its URLs as ``KEY=value`` lines, and serve until stopped."""
    parser = argparse.ArgumentParser(prog="python -m fake_credly", description="Fake Credly API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8123, help="0 picks a free port (default 8123)")
    parser.add_argument("--seed-demo", action="store_true", help="seed the demo organization and print it")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random faults")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    server = FakeCredlyServer(args.port, seed=args.seed, quiet=not args.verbose).start()
    # SIGTERM (from a supervisor or `kill`) should stop as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # One KEY=value a line, flushed, so a script that started us with --port 0 can read the URL.
    print(f"FAKE_CREDLY_URL={server.url}", flush=True)
    print(f"FAKE_CREDLY_API_BASE_URL={server.api_base_url}", flush=True)
    print(f"FAKE_CREDLY_WEB_BASE_URL={server.web_base_url}", flush=True)
    print(f"FAKE_CREDLY_OAUTH_TOKEN_URL={server.oauth_token_url}", flush=True)
    if args.seed_demo:
        print(f"FAKE_CREDLY_DEMO={json.dumps(server.state.seed_demo())}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
